// IoT Hub S1: devices and their modules, the controller's roll-ups as device-to-cloud messages.
//
// Once a hub has any route, messages that match no route reach no endpoint (the fallback route only takes
// device messages). So every source this project reads downstream is routed explicitly to the built-in
// endpoint (`events`, Event Hub-compatible), where each reader has its own consumer group.

@description('Globally unique hub name; also the first label of its host name.')
@minLength(3)
@maxLength(50)
param name string

param location string

@description('S1 units; one unit takes 400,000 device-to-cloud messages (4 KB each) a day.')
@minValue(1)
@maxValue(200)
param units int = 1

@description('Consumer groups on the built-in endpoint (besides $Default).')
param consumerGroups array = []

@description('Days the built-in endpoint keeps messages for readers that fell behind (S1 allows 1-7).')
@minValue(1)
@maxValue(7)
param retentionDays int = 1

@description('Partitions of the built-in endpoint; fixed once the hub exists.')
@minValue(2)
@maxValue(32)
param partitionCount int = 4

param tags object = {}

var builtInEndpoint = 'events'
var routedSources = {
  DeviceMessages: 'Telemetry'
  TwinChangeEvents: 'TwinChanges'
  DeviceLifecycleEvents: 'DeviceLifecycle'
  DeviceConnectionStateEvents: 'ConnectionState'
}

resource hub 'Microsoft.Devices/IotHubs@2023-06-30' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'S1'
    capacity: units
  }
  properties: {
    // Devices and services on TLS 1.0/1.1 are refused; the Python SDK and IoT Edge use TLS 1.2.
    minTlsVersion: '1.2'
    eventHubEndpoints: {
      events: {
        retentionTimeInDays: retentionDays
        partitionCount: partitionCount
      }
    }
    routing: {
      routes: [for source in items(routedSources): {
        name: '${source.value}ToBuiltIn'
        source: source.key
        condition: 'true'
        endpointNames: [
          builtInEndpoint
        ]
        isEnabled: true
      }]
      fallbackRoute: {
        name: '$fallback'
        source: 'DeviceMessages'
        condition: 'true'
        endpointNames: [
          builtInEndpoint
        ]
        isEnabled: true
      }
    }
  }
}

resource consumerGroup 'Microsoft.Devices/IotHubs/eventHubEndpoints/ConsumerGroups@2023-06-30' = [for group in consumerGroups: {
  name: '${hub.name}/${builtInEndpoint}/${group}'
  properties: {
    name: group
  }
}]

output name string = hub.name
output id string = hub.id
output hostName string = hub.properties.hostName

@description('Event Hub-compatible name of the built-in endpoint, for readers of the device-to-cloud stream.')
output eventHubCompatibleName string = hub.properties.eventHubEndpoints.events.path
