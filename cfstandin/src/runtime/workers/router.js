// Entry worker of a script runtime: picks the version for each request by the deployment's
// percentages (a gradual deployment really splits traffic) and forwards the request unchanged.
// SPLIT is [{binding, percentage}], percentages summing to 100.
export default {
  fetch(request, env) {
    let r = Math.random() * 100;
    for (const { binding, percentage } of env.SPLIT) {
      if (r < percentage) return env[binding].fetch(request);
      r -= percentage;
    }
    return env[env.SPLIT[env.SPLIT.length - 1].binding].fetch(request);
  },
};
