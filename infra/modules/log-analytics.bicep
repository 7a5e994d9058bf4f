// Log Analytics workspace: IoT Hub resource logs and metrics, Application Insights data, alert queries.

param name string
param location string

@minValue(30)
@maxValue(730)
param retentionInDays int = 31

@description('Daily ingestion cap in GB; -1 for none.')
param dailyQuotaGb int = 5

param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

output id string = workspace.id
output name string = workspace.name

@description('The workspace (customer) id agents and the metrics collector address.')
output customerId string = workspace.properties.customerId
