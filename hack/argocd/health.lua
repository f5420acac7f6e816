-- Argo CD health check for PyModeWorker, PyModeExtension and PyModeWorkflow (group pymode.dev).
-- Install it as resource.customizations.health.pymode.dev_<Kind> in argocd-cm
-- (examples/gitops/argocd/argocd-cm-health.yaml). Argo CD runs it with the live object as `obj` and reads
-- hs.status (Healthy, Progressing, Degraded or Suspended) and hs.message.
-- Written for Lua 5.1 (Argo CD's gopher-lua) and tested with lua5.1 and lua5.4 (delivery-tests).
-- The operator's status follows kstatus: observedGeneration, then Ready / Reconciling / Stalled conditions
-- whose reasons name the failing stage.
local hs = {}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  local reason = condition.reason
  local message = condition.message
  if reason ~= nil and reason ~= "" and message ~= nil and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= nil and message ~= "" then
    return message
  end
  if reason ~= nil and reason ~= "" then
    return reason
  end
  return fallback
end

local function isTrue(condition)
  return condition ~= nil and condition.status == "True"
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
local status = obj.status

-- A suspended resource is not reconciled, so its status is left as it was: report the suspension first.
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended (spec.suspend is true): the operator does not reconcile this resource"
  return hs
end

if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the PyMode operator to report a status"
  return hs
end

-- The status describes an older spec until the operator has observed the latest generation.
local observed = status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  if observed == nil then
    hs.message = string.format("Waiting for the operator to observe generation %d", generation)
  else
    hs.message = string.format("Waiting for the operator to observe generation %d (status describes %d)",
      generation, observed)
  end
  return hs
end

local ready = findCondition(status.conditions, "Ready")
local stalled = findCondition(status.conditions, "Stalled")
local reconciling = findCondition(status.conditions, "Reconciling")

if ready ~= nil and ready.observedGeneration ~= nil and generation ~= nil and ready.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = string.format("Ready describes generation %d, the resource is at generation %d",
    ready.observedGeneration, generation)
  return hs
end

if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready, "Not ready")
else
  hs.message = "Waiting for the Ready condition"
end
return hs
