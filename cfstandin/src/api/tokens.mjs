// Token verification: the token already passed authorization, so it is active.
import { createHash } from "node:crypto";

function verify({ auth }) {
  return { result: { id: createHash("sha256").update(auth.token).digest("hex").slice(0, 32), status: "active" } };
}

export const tokens = {
  "user-api-tokens-verify-token": verify,
  "account-api-tokens-verify-token": verify,
};
