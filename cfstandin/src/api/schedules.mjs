// Cron triggers of a Worker script: GET/PUT …/scripts/S/schedules. PUT replaces the whole set, as the
// API does; the schedules outlive uploads of new code and go with the script when it is deleted.
import { badRequest } from "../envelope.mjs";
import { CronError, parseCron } from "../runtime/cron.mjs";
import { getScript } from "./model.mjs";

function getSchedules({ account, params }) {
  return { result: { schedules: getScript(account, params.script_name).schedules ?? [] } };
}

function putSchedules({ account, params, body, standin }) {
  const doc = getScript(account, params.script_name);
  const now = new Date().toISOString();
  const previous = new Map((doc.schedules ?? []).map((s) => [s.cron, s]));
  const schedules = [];
  for (const { cron } of body.json) {
    try {
      parseCron(cron);
    } catch (e) {
      if (e instanceof CronError) throw badRequest(`invalid cron trigger: ${e.message}`);
      throw e;
    }
    if (schedules.some((s) => s.cron === cron)) throw badRequest(`duplicate cron trigger ${JSON.stringify(cron)}`);
    const kept = previous.get(cron);
    schedules.push({ cron, created_on: kept?.created_on ?? now, modified_on: kept?.modified_on ?? now });
  }
  doc.schedules = schedules;
  standin.store.save(account.id);
  return { result: { schedules } };
}

export const schedules = {
  "worker-cron-trigger-get-cron-triggers": getSchedules,
  "worker-cron-trigger-update-cron-triggers": putSchedules,
};
