// Application Insights, workspace-based: the modules' OpenTelemetry traces, metrics and logs land in the
// Log Analytics workspace (AppTraces, AppDependencies, AppRequests, AppMetrics), where alerts query them.

param name string
param location string

@description('Resource id of the Log Analytics workspace that stores the data.')
param workspaceId string

param tags object = {}

resource component 'Microsoft.Insights/components@2020-02-02' = {
  name: name
  location: location
  tags: tags
  kind: 'other'
  properties: {
    Application_Type: 'other'
    WorkspaceResourceId: workspaceId
    IngestionMode: 'LogAnalytics'
    publicNetworkAccessForIngestion: 'Enabled' // edge devices export from their sites
    publicNetworkAccessForQuery: 'Enabled'
  }
}

output id string = component.id
output name string = component.name

@description('What the OpenTelemetry exporters of the modules need (APPLICATIONINSIGHTS_CONNECTION_STRING).')
output connectionString string = component.properties.ConnectionString
