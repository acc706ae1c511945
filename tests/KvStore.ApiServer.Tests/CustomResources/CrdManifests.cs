namespace KvStore.ApiServer.Tests.CustomResources;

/// <summary>The CRDs the tests apply: the Kubernetes documentation's CronTab (with validation, a default, printer columns,
/// status and scale), and a cluster-scoped two-version Widget.</summary>
internal static class CrdManifests
{
    /// <summary>The CronTab CRD in group <paramref name="group"/> with one short name (each test its own group and short
    /// name: kubectl resolves a short name shared across groups to one of them).</summary>
    public static string CronTab(string group, string shortName) => """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: crontabs.GROUP
        spec:
          group: GROUP
          scope: Namespaced
          names:
            plural: crontabs
            singular: crontab
            kind: CronTab
            shortNames: [SHORT]
            categories: [all]
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                description: CronTab runs an image on a schedule.
                properties:
                  spec:
                    type: object
                    description: The schedule and what to run.
                    properties:
                      cronSpec:
                        type: string
                        description: When to run, in cron format.
                        pattern: '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'
                      image:
                        type: string
                      replicas:
                        type: integer
                        minimum: 1
                        maximum: 10
                        default: 1
                      extra:
                        type: object
                        x-kubernetes-preserve-unknown-fields: true
                    required: [cronSpec]
                  status:
                    type: object
                    properties:
                      replicas: {type: integer}
                      labelSelector: {type: string}
            subresources:
              status: {}
              scale:
                specReplicasPath: .spec.replicas
                statusReplicasPath: .status.replicas
                labelSelectorPath: .status.labelSelector
            additionalPrinterColumns:
            - name: Spec
              type: string
              description: The cron spec defining the interval a CronJob is run
              jsonPath: .spec.cronSpec
            - name: Replicas
              type: integer
              jsonPath: .spec.replicas
            - name: Image
              type: string
              priority: 1
              jsonPath: .spec.image
            - name: Age
              type: date
              jsonPath: .metadata.creationTimestamp
        """.Replace("GROUP", group, StringComparison.Ordinal).Replace("SHORT", shortName, StringComparison.Ordinal);

    public static string CronTabObject(string group, string name, string ns, string spec) =>
        $"apiVersion: {group}/v1\nkind: CronTab\nmetadata: {{name: {name}, namespace: {ns}, labels: {{team: {name}}}}}\nspec: {spec}\n";

    /// <summary>Cluster-scoped widgets: v1beta1 keeps unknown spec fields, v1 (storage) has a default, an enum and a set.</summary>
    public static string Widget(string group) => """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.GROUP
        spec:
          group: GROUP
          scope: Cluster
          names: {plural: widgets, kind: Widget, shortNames: [wdg]}
          versions:
          - name: v1beta1
            served: true
            storage: false
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                    properties:
                      size: {type: integer}
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer, default: 3}
                      color: {type: string, enum: [red, blue]}
                      tags:
                        type: array
                        items: {type: string}
                        x-kubernetes-list-type: set
        """.Replace("GROUP", group, StringComparison.Ordinal);
}
