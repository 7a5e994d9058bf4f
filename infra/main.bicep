// Energy Edge Controller: the Azure side of one environment (dev, test or prod) in one resource group.
//
//   IoT Hub (S1)            devices, module twins, direct methods, device-to-cloud roll-ups
//   Container Registry      the IoT Edge module images the pipeline pushes and the devices pull
//   Log Analytics           IoT Hub resource logs and metrics, Application Insights data, alert queries
//   Application Insights    the modules' OpenTelemetry traces and metrics (workspace-based)
//   Monitor                 diagnostic settings, alerts on asset faults and lost devices, an action group
//
// Deploy: az deployment group create --resource-group <rg> --template-file infra/main.bicep \
//           --parameters infra/main.bicepparam        (see infra/README.md)
targetScope = 'resourceGroup'

@description('Short environment name; part of every resource name.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Azure region of every resource; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('IoT Hub S1 units; one unit takes 400,000 device-to-cloud messages (4 KB each) a day.')
@minValue(1)
@maxValue(200)
param iotHubUnits int = 1

@description('Consumer groups on the IoT Hub built-in endpoint, one per downstream reader.')
param iotHubConsumerGroups array = [
  'operations'
  'analytics'
]

@description('Container registry tier: Basic holds a handful of module images; Standard adds storage and throughput.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param containerRegistrySku string = 'Basic'

@description('Image repositories (IoT Edge module ids) the edge devices\' pull token may read.')
param moduleRepositories array = [
  'solar-module'
  'battery-module'
  'boiler-module'
  'meter-module'
  'controller-module'
  'telemetry-module'
]

@description('Object id of the pipeline\'s service principal, granted AcrPush on the registry; empty to grant nothing.')
param imagePushPrincipalId string = ''

@description('Days Log Analytics keeps data; the first 31 are included in the ingestion price.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 31

@description('Daily ingestion cap of the workspace in GB, -1 for none: a chatty module cannot run up the bill.')
param logDailyCapGb int = 5

@description('Comma-separated email addresses the action group notifies; empty for none.')
param alertEmails string = ''

@description('Minutes an edge device may stay disconnected before the connectivity alert fires.')
@minValue(5)
@maxValue(1440)
param disconnectAlertMinutes int = 15

@description('Tags added to every resource.')
param tags object = {}

var name = 'eec-${environmentName}'
var unique = take(uniqueString(subscription().id, resourceGroup().id, environmentName), 8)
var allTags = union(tags, {
  project: 'energy-edge-controller'
  environment: environmentName
})

resource pullIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-acrpull'
  location: location
  tags: allTags
}

module logAnalytics 'modules/log-analytics.bicep' = {
  name: 'log-analytics'
  params: {
    name: 'log-${name}'
    location: location
    retentionInDays: logRetentionDays
    dailyQuotaGb: logDailyCapGb
    tags: allTags
  }
}

module appInsights 'modules/app-insights.bicep' = {
  name: 'app-insights'
  params: {
    name: 'appi-${name}'
    location: location
    workspaceId: logAnalytics.outputs.id
    tags: allTags
  }
}

module iotHub 'modules/iot-hub.bicep' = {
  name: 'iot-hub'
  params: {
    name: 'iot-${name}-${unique}'
    location: location
    units: iotHubUnits
    consumerGroups: iotHubConsumerGroups
    tags: allTags
  }
}

module registry 'modules/container-registry.bicep' = {
  name: 'container-registry'
  params: {
    name: 'acreec${environmentName}${unique}'
    location: location
    sku: containerRegistrySku
    pullPrincipalIds: [
      pullIdentity.properties.principalId
    ]
    pushPrincipalId: imagePushPrincipalId
    edgeRepositories: moduleRepositories
    tags: allTags
  }
}

module monitor 'modules/monitor.bicep' = {
  name: 'monitor'
  params: {
    environmentName: environmentName
    location: location
    iotHubName: iotHub.outputs.name
    workspaceId: logAnalytics.outputs.id
    actionGroupName: 'ag-${name}'
    alertEmailAddresses: empty(alertEmails) ? [] : map(split(alertEmails, ','), address => trim(address))
    disconnectAlertMinutes: disconnectAlertMinutes
    tags: allTags
  }
}

@description('IoT Hub name: the pipeline\'s IOT_HUB_NAME.')
output iotHubName string = iotHub.outputs.name

@description('IoT Hub host name devices connect to (their connection strings\' HostName).')
output iotHubHostName string = iotHub.outputs.hostName

@description('IoT Hub resource id: the metrics collector\'s ResourceId.')
output iotHubResourceId string = iotHub.outputs.id

@description('Registry name, for az acr commands.')
output containerRegistryName string = registry.outputs.name

@description('Registry login server: the pipeline\'s ACR_LOGIN_SERVER and the image prefix in module.json.')
output containerRegistryLoginServer string = registry.outputs.loginServer

@description('Repository-scoped token the edge devices pull with: the pipeline\'s ACR_PULL_USERNAME.')
output edgePullTokenName string = registry.outputs.edgePullTokenName

@description('Managed identity with AcrPull on the registry, for pullers that run in Azure.')
output pullIdentityResourceId string = pullIdentity.id

@description('Client id of that managed identity.')
output pullIdentityClientId string = pullIdentity.properties.clientId

@description('Log Analytics workspace resource id.')
output logAnalyticsWorkspaceId string = logAnalytics.outputs.id

@description('Log Analytics workspace (customer) id: the metrics collector\'s LogAnalyticsWorkspaceId.')
output logAnalyticsCustomerId string = logAnalytics.outputs.customerId

@description('Application Insights connection string: APPLICATIONINSIGHTS_CONNECTION_STRING of the modules.')
output appInsightsConnectionString string = appInsights.outputs.connectionString

@description('Action group the alerts notify.')
output actionGroupId string = monitor.outputs.actionGroupId
