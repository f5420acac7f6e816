// operationId → handler. A handler gets the request context and returns {result, resultInfo}
// (sent in the envelope) or {raw: {status, headers, body}} (KV values, script downloads).
import { assets } from "./assets.mjs";
import { d1 } from "./d1.mjs";
import { kv } from "./kv.mjs";
import { queues } from "./queues.mjs";
import { r2 } from "./r2.mjs";
import { schedules } from "./schedules.mjs";
import { preprocessors, scripts } from "./scripts.mjs";
import { tokens } from "./tokens.mjs";
import { versions } from "./versions.mjs";
import { zones } from "./zones.mjs";

export const handlers = { ...tokens, ...kv, ...r2, ...d1, ...queues, ...zones, ...scripts, ...schedules, ...versions, ...assets };

export { preprocessors };
