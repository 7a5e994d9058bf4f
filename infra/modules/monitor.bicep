// Monitoring: IoT Hub resource logs to Log Analytics, two log alerts and the action group they notify.
//
// Asset faults: the controller's roll-up carries `alerts: [{code, severity, message, asset_id}]`. The
// controller also logs each of those alerts through OpenTelemetry (service.name `controller-module`), one log
// record per alert with the attributes `alert.code`, `alert.severity`, `asset.id` and `device.id`; with
// workspace-based Application Insights they land in the AppTraces table, one row per alert per roll-up. The
// rule fires per asset while `asset_fault` alerts keep arriving and resolves when they stop.
//
// Lost devices: IoT Hub's Connections log records every connect and disconnect. The rule fires per device
// whose latest event (device identity or its $edgeHub module) is a disconnect older than the threshold.

param environmentName string
param location string

@description('Name of the IoT Hub whose resource logs and metrics go to the workspace.')
param iotHubName string

@description('Resource id of the Log Analytics workspace (also the one behind Application Insights).')
param workspaceId string

param actionGroupName string

@description('Email addresses the action group notifies.')
param alertEmailAddresses array = []

@description('Minutes a device may stay disconnected before the alert fires.')
@minValue(5)
@maxValue(1440)
param disconnectAlertMinutes int = 15

@description('Log query behind the asset-fault alert: one row per faulted asset, columns AssetId, DeviceId, Faults.')
param assetFaultQuery string = '''
AppTraces
| where AppRoleName == "controller-module"
| where tostring(Properties["alert.code"]) == "asset_fault"
| extend AssetId = tostring(Properties["asset.id"]), DeviceId = tostring(Properties["device.id"])
| summarize Faults = count(), Severity = take_any(tostring(Properties["alert.severity"])), Message = take_any(Message) by AssetId, DeviceId
'''

param tags object = {}

var disconnectQuery = replace('''
AzureDiagnostics
| where ResourceProvider == "MICROSOFT.DEVICES" and Category == "Connections"
| extend Connection = parse_json(properties_s)
| extend DeviceId = tostring(Connection.deviceId), ModuleId = tostring(Connection.moduleId)
| where isempty(ModuleId) or ModuleId == "$edgeHub"
| summarize arg_max(TimeGenerated, OperationName) by DeviceId
| where OperationName == "deviceDisconnect" and TimeGenerated < ago(__MINUTES__m)
| project DeviceId, DisconnectedAt = TimeGenerated
''', '__MINUTES__', string(disconnectAlertMinutes))

resource hub 'Microsoft.Devices/IotHubs@2023-06-30' existing = {
  name: iotHubName
}

resource hubDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: hub
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take('eec-${environmentName}', 12)
    enabled: true
    emailReceivers: [for (address, index) in alertEmailAddresses: {
      name: 'email-${index}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

resource assetFaultAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: 'eec-${environmentName}-asset-fault'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Asset fault (${environmentName})'
    description: 'An asset reports asset_fault in the controller\'s roll-up alerts.'
    severity: 1
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT10M'
    // A fresh workspace has no AppTraces / AzureDiagnostics rows yet, and query validation would reject
    // the rule until the first device reports; the queries are fixed here and run once data arrives.
    skipQueryValidation: true
    criteria: {
      allOf: [
        {
          query: assetFaultQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'Faults'
          dimensions: [
            {
              name: 'AssetId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'DeviceId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource deviceDisconnectedAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: 'eec-${environmentName}-device-disconnected'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Edge device disconnected (${environmentName})'
    description: 'An edge device has been disconnected from IoT Hub for more than ${disconnectAlertMinutes} minutes.'
    severity: 1
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    skipQueryValidation: true
    // Look back two days for each device's latest connection event, not only the last window.
    overrideQueryTimeRange: 'P2D'
    criteria: {
      allOf: [
        {
          query: disconnectQuery
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'DeviceId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output assetFaultAlertId string = assetFaultAlert.id
output deviceDisconnectedAlertId string = deviceDisconnectedAlert.id
