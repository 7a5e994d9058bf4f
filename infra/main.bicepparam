// Parameters of one environment. Copy per environment (dev.bicepparam, prod.bicepparam) or override on the
// command line: az deployment group create ... --parameters infra/main.bicepparam environmentName=prod
using './main.bicep'

param environmentName = readEnvironmentVariable('EEC_ENVIRONMENT', 'dev')
param location = readEnvironmentVariable('EEC_LOCATION', 'westeurope')
param iotHubUnits = 1
param containerRegistrySku = 'Basic'
param logRetentionDays = 31
param logDailyCapGb = 5
param disconnectAlertMinutes = 15

// Addresses come from the shell, never from the repository: EEC_ALERT_EMAILS='ops@example.org,oncall@example.org'
param alertEmails = readEnvironmentVariable('EEC_ALERT_EMAILS', '')

// Object id of the pipeline's service principal (az ad sp show --id <appId> --query id -o tsv).
param imagePushPrincipalId = readEnvironmentVariable('EEC_PIPELINE_PRINCIPAL_ID', '')
