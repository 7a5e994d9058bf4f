// Azure Container Registry for the IoT Edge module images.
//
// No admin user: the pipeline pushes with its service principal (AcrPush), pullers that run in Azure use a
// managed identity (AcrPull), and the edge devices, which are not Azure resources and cannot hold a managed
// identity, pull with a repository-scoped token that may only read the module repositories.

@description('Globally unique registry name: 5-50 letters and digits.')
@minLength(5)
@maxLength(50)
param name string

param location string

@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string = 'Basic'

@description('Principal ids (managed identities) granted AcrPull.')
param pullPrincipalIds array = []

@description('Principal id granted AcrPush (the pipeline\'s service principal); empty for none.')
param pushPrincipalId string = ''

@description('Repositories the edge devices\' token may read (the IoT Edge module ids).')
param edgeRepositories array

param tags object = {}

// Built-in role definition ids (the same in every tenant).
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var acrPushRoleId = '8311e382-0749-4cb8-b61a-304f252e45ec'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled' // devices pull over the internet from their sites
  }
}

resource pullAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in pullPrincipalIds: {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource pushAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(pushPrincipalId)) {
  name: guid(registry.id, pushPrincipalId, acrPushRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPushRoleId)
    principalId: pushPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource edgePullScope 'Microsoft.ContainerRegistry/registries/scopeMaps@2023-07-01' = {
  parent: registry
  name: 'edge-module-pull'
  properties: {
    description: 'Read the IoT Edge module images, nothing else'
    actions: flatten(map(edgeRepositories, repository => [
      'repositories/${repository}/content/read'
      'repositories/${repository}/metadata/read'
    ]))
  }
}

// The token's passwords are generated outside the template (az acr token credential generate), so no
// secret passes through a deployment or its history.
resource edgePullToken 'Microsoft.ContainerRegistry/registries/tokens@2023-07-01' = {
  parent: registry
  name: 'edge-devices'
  properties: {
    scopeMapId: edgePullScope.id
    status: 'enabled'
  }
}

output name string = registry.name
output id string = registry.id
output loginServer string = registry.properties.loginServer
output edgePullTokenName string = edgePullToken.name
