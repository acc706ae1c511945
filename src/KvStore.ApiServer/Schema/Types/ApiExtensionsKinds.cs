using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/types.go,
/// types_jsonschema.go). JSONSchemaProps refers to itself.</summary>
internal static class ApiExtensionsKinds
{
    private const string Prefix = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";

    private static FieldSchema Ext(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj(Prefix + name, description, fields, required);

    /// <summary>apiextensions' JSON: any JSON value (default, example, enum), on the wire a message {raw = 1} holding its text.</summary>
    private static readonly FieldSchema Json = new()
    {
        Type = FieldType.Any,
        Definition = Prefix + "JSON",
        Description =
            "JSON represents any valid JSON value. These types are supported: bool, int64, float64, string, []interface{}, " +
            "map[string]interface{} and nil.",
    };

    /// <summary>JSONSchemaProps, whose properties, items, allOf... are JSONSchemaProps again.</summary>
    public static readonly FieldSchema JsonSchemaProps = BuildJsonSchemaProps();

    /// <summary>A JSONSchemaPropsOr* type: a value of one of <paramref name="shapes"/>, by its JSON type.</summary>
    private static FieldSchema OneOf(string name, string description, params FieldSchema[] shapes) => new()
    {
        Type = FieldType.Any,
        Definition = Prefix + name,
        Description = description,
        OneOf = shapes,
        Proto = ProtoNumbers.Of(Prefix + name),
    };

    private static FieldSchema BuildJsonSchemaProps()
    {
        var fields = new Dictionary<string, FieldSchema>(StringComparer.Ordinal);
        var props = new FieldSchema
        {
            Type = FieldType.Object,
            Definition = Prefix + "JSONSchemaProps",
            Description = "JSONSchemaProps is a JSON-Schema following Specification Draft 4 (http://json-schema.org/).",
            Properties = fields,
            Proto = ProtoNumbers.Of(Prefix + "JSONSchemaProps"),
        };
        var map = new FieldSchema { Type = FieldType.Map, AdditionalProperties = props };
        var list = Atomic(props);
        var orBool = OneOf("JSONSchemaPropsOrBool",
            "JSONSchemaPropsOrBool represents JSONSchemaProps or a boolean value. Defaults to true for the boolean property.",
            Bool, props);
        fields["$ref"] = Str;
        fields["$schema"] = Str;
        fields["additionalItems"] = orBool;
        fields["additionalProperties"] = orBool;
        fields["allOf"] = list;
        fields["anyOf"] = list;
        fields["default"] = Json.Doc(
            "default is a default value for undefined object fields. Defaulting is a beta feature under the CustomResourceDefaulting feature gate. " +
            "Defaulting requires spec.preserveUnknownFields to be false.");
        fields["definitions"] = map;
        fields["dependencies"] = MapOf(OneOf("JSONSchemaPropsOrStringArray",
            "JSONSchemaPropsOrStringArray represents a JSONSchemaProps or a string array.",
            props, StrList));
        fields["description"] = Str;
        fields["enum"] = Atomic(Json);
        fields["example"] = Json;
        fields["exclusiveMaximum"] = Bool;
        fields["exclusiveMinimum"] = Bool;
        fields["externalDocs"] = Ext("ExternalDocumentation",
            "ExternalDocumentation allows referencing an external resource for extended documentation.",
            [("description", Str), ("url", Str)]);
        fields["format"] = Str.Doc("format is an OpenAPI v3 format string. Unknown formats are ignored.");
        fields["id"] = Str;
        fields["items"] = OneOf("JSONSchemaPropsOrArray",
            "JSONSchemaPropsOrArray represents a value that can either be a JSONSchemaProps or an array of JSONSchemaProps. " +
                "Mainly here for serialization purposes.",
            props, list);
        fields["maxItems"] = I64;
        fields["maxLength"] = I64;
        fields["maxProperties"] = I64;
        fields["maximum"] = F64;
        fields["minItems"] = I64;
        fields["minLength"] = I64;
        fields["minProperties"] = I64;
        fields["minimum"] = F64;
        fields["multipleOf"] = F64;
        fields["not"] = props;
        fields["nullable"] = Bool;
        fields["oneOf"] = list;
        fields["pattern"] = Str;
        fields["patternProperties"] = map;
        fields["properties"] = map;
        fields["required"] = StrList;
        fields["title"] = Str;
        fields["type"] = Str;
        fields["uniqueItems"] = Bool;
        fields["x-kubernetes-embedded-resource"] = Bool.Doc(
            "x-kubernetes-embedded-resource defines that the value is an embedded Kubernetes runtime.Object, with TypeMeta and ObjectMeta.");
        fields["x-kubernetes-int-or-string"] = Bool.Doc("x-kubernetes-int-or-string specifies that this value is either an integer or a string.");
        fields["x-kubernetes-list-map-keys"] = StrList;
        fields["x-kubernetes-list-type"] = Str.Doc("x-kubernetes-list-type annotates an array to further describe its topology: atomic, set or map.");
        fields["x-kubernetes-map-type"] = Str;
        fields["x-kubernetes-preserve-unknown-fields"] = Bool.Doc(
            "x-kubernetes-preserve-unknown-fields stops the API server decoding step from pruning fields which are not specified in the validation " +
            "schema.");
        fields["x-kubernetes-validations"] = MergeMap(Ext("ValidationRule",
            "ValidationRule describes a validation rule written in the CEL expression language.",
            [("fieldPath", Str), ("message", Str), ("messageExpression", Str), ("optionalOldSelf", Bool), ("reason", Str), ("rule", Str)], ["rule"]),
                "rule");
        return props;
    }

    public static readonly FieldSchema Names = Ext("CustomResourceDefinitionNames",
        "CustomResourceDefinitionNames indicates the names to serve this CustomResourceDefinition",
        [
            ("categories", StrList), ("kind", Str), ("listKind", Str), ("plural", Str), ("shortNames", StrList), ("singular", Str),
        ], ["plural", "kind"]);

    public static readonly FieldSchema CustomResourceDefinition = Kind(Prefix + "CustomResourceDefinition",
        "CustomResourceDefinition represents a resource that should be exposed on the API server. " +
            " Its name MUST be in the format <.spec.name>.<.spec.group>.",
        [
            ("spec", Ext("CustomResourceDefinitionSpec", "CustomResourceDefinitionSpec describes how a user wants their resource to appear",
                [
                    ("conversion", Ext("CustomResourceConversion", "CustomResourceConversion describes how to convert different versions of a CR.",
                        [
                            ("strategy", Str.Doc(
                                "strategy specifies how custom resources are converted between versions. Allowed values are: - `\"None\"`: " +
                                "The converter only change the apiVersion and would not touch any other field in the custom resource. " +
                                "- `\"Webhook\"`: API Server will call to an external webhook to do the conversion.")),
                            ("webhook", Ext("WebhookConversion", "WebhookConversion describes how to call a conversion webhook",
                                [
                                    ("clientConfig", Ext("WebhookClientConfig",
                                        "WebhookClientConfig contains the information to make a TLS connection with the webhook.",
                                        [
                                            ("caBundle", Bytes),
                                            ("service", Ext("ServiceReference", "ServiceReference holds a reference to Service.legacy.k8s.io",
                                                [("name", Str), ("namespace", Str), ("path", Str), ("port", I32)], ["namespace", "name"])),
                                            ("url", Str),
                                        ])),
                                    ("conversionReviewVersions", StrList),
                                ], ["conversionReviewVersions"])),
                        ], ["strategy"])),
                    ("group", Str.Doc(
                        "group is the API group of the defined custom resource. The custom resources are served under `/apis/<group>/...`. " +
                        "Must match the name of the CustomResourceDefinition (in the form `<names.plural>.<group>`).")),
                    ("names", Names),
                    ("preserveUnknownFields", Bool),
                    ("scope", Str.Doc(
                        "scope indicates whether the defined custom resource is cluster- or namespace-scoped. " +
                        "Allowed values are `Cluster` and `Namespaced`.")),
                    ("versions", Atomic(Ext("CustomResourceDefinitionVersion", "CustomResourceDefinitionVersion describes a version for CRD.",
                        [
                            ("additionalPrinterColumns", Atomic(Ext("CustomResourceColumnDefinition",
                                "CustomResourceColumnDefinition specifies a column for server side printing.",
                                [("description", Str), ("format", Str), ("jsonPath", Str), ("name", Str), ("priority", I32), ("type", Str)],
                                ["name", "type", "jsonPath"]))),
                            ("deprecated", Bool),
                            ("deprecationWarning", Str),
                            ("name", Str.Doc("name is the version name, e.g. \"v1\", \"v2beta1\", etc.")),
                            ("schema", Ext("CustomResourceValidation",
                                "CustomResourceValidation is a list of validation methods for CustomResources.",
                                [("openAPIV3Schema", JsonSchemaProps)])),
                            ("selectableFields", Atomic(Ext("SelectableField",
                                "SelectableField specifies the JSON path of a field that may be used with field selectors.",
                                [("jsonPath", Str)], ["jsonPath"]))),
                            ("served", Bool),
                            ("storage", Bool),
                            ("subresources", Ext("CustomResourceSubresources",
                                "CustomResourceSubresources defines the status and scale subresources for CustomResources.",
                                [
                                    ("scale", Ext("CustomResourceSubresourceScale",
                                        "CustomResourceSubresourceScale defines how to serve the scale subresource for CustomResources.",
                                        [("labelSelectorPath", Str), ("specReplicasPath", Str), ("statusReplicasPath", Str)],
                                        ["specReplicasPath", "statusReplicasPath"])),
                                    ("status", Ext("CustomResourceSubresourceStatus",
                                        "CustomResourceSubresourceStatus defines how to serve the status subresource for CustomResources.", [])),
                                ])),
                        ], ["name", "served", "storage"]))),
                ], ["group", "names", "scope", "versions"])),
            ("status", Ext("CustomResourceDefinitionStatus", "CustomResourceDefinitionStatus indicates the state of the CustomResourceDefinition",
                [
                    ("acceptedNames", Names),
                    ("conditions", MergeMap(Ext("CustomResourceDefinitionCondition",
                        "CustomResourceDefinitionCondition contains details for the current condition of this pod.",
                        [("lastTransitionTime", Time), ("message", Str), ("observedGeneration", I64), ("reason", Str), ("status", Str),
                            ("type", Str)],
                        ["type", "status"]), "type")),
                    ("storedVersions", StrList),
                ])),
        ], ["spec"]);
}
