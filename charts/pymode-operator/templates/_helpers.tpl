{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "pymode-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects. */}}
{{- define "pymode-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pymode-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pymode-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pymode-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pymode-operator.labels" -}}
helm.sh/chart: {{ include "pymode-operator.chart" . }}
{{ include "pymode-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: pymode
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pymode-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pymode-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag or repository@digest */}}
{{- define "pymode-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* "true" when leader election is on: forced by value, or implied by more than one replica. */}}
{{- define "pymode-operator.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{- define "pymode-operator.leaseName" -}}
{{- default (include "pymode-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
The operator's permissions on watched namespaces, derived from its Kubernetes calls
(grep -rn 'client\.' operator/src/main, plus what Java Operator SDK does for each controller):
- pymode.dev kinds: informers (get/list/watch), status written by server-side apply patches; update/patch of the
  resources themselves for finalizers; pymodeworkers/finalizers because build Jobs and their source ConfigMaps carry
  an owner reference with blockOwnerDeletion (OwnerReferencesPermissionEnforcement checks it).
- configmaps: the source informer and lookups (get/list/watch); per-build source ConfigMaps (create, update on a
  conflicting create, delete with the build).
- secrets: get only - by name: the Deployed stage's secret bindings and per-worker API tokens, the SourceReady
  stage's git credentials (credentialsSecretRef) and OCI pull Secrets (pullSecretRef).
- batch/jobs: builder Jobs (create, get, list by owner labels, delete when the inputs change; list and watch for
  the informer that reconciles a Job's owner as soon as the Job finishes or is deleted).
- pods get/list and pods/log get: the failed build's termination message or log tail, and whether the builder was
  OOMKilled (pods are read when a Job has failed, never watched).
- events create/patch: stage transitions on the resources (kubectl describe).
*/}}
{{- define "pymode-operator.rules" -}}
- apiGroups: ["pymode.dev"]
  resources: ["pymodeworkers", "pymodeextensions", "pymodeworkflows"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["pymode.dev"]
  resources: ["pymodeworkers/status", "pymodeextensions/status", "pymodeworkflows/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["pymode.dev"]
  resources: ["pymodeworkers/finalizers", "pymodeextensions/finalizers", "pymodeworkflows/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
