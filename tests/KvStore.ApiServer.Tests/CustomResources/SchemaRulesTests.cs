using System.Text.Json.Nodes;
using KvStore.ApiServer.CustomResources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.CustomResources;

/// <summary>The custom resource schema rules one by one, with kube's wording: value validation (kube-openapi's messages
/// as apiextensions turns them into field errors), pruning, defaulting, printer column JSONPaths, structural schema
/// checks and name conflicts between CRDs.</summary>
public sealed class SchemaRulesTests
{
    private static SchemaNode Schema(string json) => SchemaNode.Parse(JsonNode.Parse(json)!.AsObject());

    private const string Spec = """
        {"type":"object","properties":{"spec":{"type":"object","required":["name"],"properties":{
          "name":{"type":"string","minLength":2,"maxLength":5},
          "count":{"type":"integer","minimum":1,"exclusiveMaximum":true,"maximum":5,"multipleOf":2},
          "ratio":{"type":"number","nullable":true},
          "mode":{"type":"string","enum":["a","b"]},
          "port":{"x-kubernetes-int-or-string":true},
          "when":{"type":"string","format":"date-time"},
          "items":{"type":"array","minItems":1,"maxItems":2,"items":{"type":"object","properties":{"k":{"type":"string"}}},
                   "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"]},
          "labels":{"type":"object","additionalProperties":{"type":"string"}},
          "any":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}
        """;

    [Theory]
    [InlineData("""{"spec":{"name":"ok","count":2,"ratio":null,"mode":"a","port":"http","when":"2024-01-02T03:04:05Z","items":[{"k":"x"}],"labels":{"a":"b"},"any":{"x":[1]}}}""", "")]
    [InlineData("""{"spec":{}}""", "spec.name: Required value")]
    [InlineData("""{"spec":{"name":"x"}}""", "spec.name: Invalid value: \"x\": spec.name in body should be at least 2 chars long")]
    [InlineData("""{"spec":{"name":"toolong"}}""", "spec.name: Too long: may not be more than 5 bytes")]
    [InlineData("""{"spec":{"name":"ok","count":0}}""", "spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1")]
    [InlineData("""{"spec":{"name":"ok","count":5}}""", "spec.count: Invalid value: 5: spec.count in body should be less than 5|spec.count: Invalid value: 5: spec.count in body should be a multiple of 2")]
    [InlineData("""{"spec":{"name":"ok","count":1.5}}""", "spec.count: Invalid value: \"number\": spec.count in body must be of type integer: \"number\"")]
    [InlineData("""{"spec":{"name":"ok","count":2.0}}""", "")]
    [InlineData("""{"spec":{"name":"ok","mode":"c"}}""", "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"")]
    [InlineData("""{"spec":{"name":"ok","port":true}}""", "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"")]
    [InlineData("""{"spec":{"name":"ok","when":"yesterday"}}""", "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"")]
    [InlineData("""{"spec":{"name":"ok","items":[]}}""", "spec.items: Invalid value: 0: spec.items in body should have at least 1 items")]
    [InlineData("""{"spec":{"name":"ok","items":[{"k":"a"},{"k":"a"},{"k":"b"}]}}""", "spec.items: Too many: 3: must have at most 2 items|spec.items[1]: Duplicate value: map[string]interface {}{\"k\":\"a\"}")]
    [InlineData("""{"spec":{"name":"ok","labels":{"a":1}}}""", "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"")]
    [InlineData("""{"spec":{"name":null}}""", "spec.name: Invalid value: \"null\": spec.name in body must be of type string: \"null\"")]
    [InlineData("""{"spec":"text"}""", "spec: Invalid value: \"string\": spec in body must be of type object: \"string\"")]
    public void ValuesAreCheckedWithKubeOpenApisMessages(string obj, string expected)
    {
        var errors = new List<FieldCause>();
        SchemaValidator.Validate(Schema(Spec), JsonNode.Parse(obj), "", errors);
        Assert.Equal(expected, string.Join("|", errors.Select(e => $"{e.Field}: {e.Message}")));
    }

    [Fact]
    public void PruningDropsUndeclaredFieldsButKeepsTypeMetaMetadataMapsAndPreservedTrees()
    {
        var obj = JsonNode.Parse("""
            {"apiVersion":"x/v1","kind":"K","metadata":{"name":"n","bogus":1},"top":1,
             "spec":{"name":"ok","extra":true,"labels":{"free":"key"},"items":[{"k":"a","z":2}],"any":{"deep":{"kept":1}}}}
            """)!.AsObject();
        var pruned = Pruning.Prune(obj, Schema(Spec));
        Assert.Equal(["unknown field \"metadata.bogus\"", "unknown field \"top\"", "unknown field \"spec.extra\"", "unknown field \"spec.items[0].z\""], pruned);
        Assert.Equal("""{"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},"spec":{"name":"ok","labels":{"free":"key"},"items":[{"k":"a"}],"any":{"deep":{"kept":1}}}}""",
            obj.ToJsonString());
    }

    [Fact]
    public void DefaultsFillMissingFieldsTopDownAndReplaceNullsThatAreNotAllowed()
    {
        var schema = Schema("""
            {"type":"object","properties":{"spec":{"type":"object","default":{},"properties":{
              "replicas":{"type":"integer","default":1},
              "mode":{"type":"string","default":"fast"},
              "note":{"type":"string"},
              "ratio":{"type":"number","nullable":true,"default":0.5},
              "ports":{"type":"array","items":{"type":"object","properties":{"protocol":{"type":"string","default":"TCP"}}}}}}}}
            """);
        var obj = JsonNode.Parse("""{"metadata":{"name":"n"}}""")!.AsObject();
        Defaulting.Apply(obj, schema);
        Assert.Equal("""{"metadata":{"name":"n"},"spec":{"replicas":1,"mode":"fast","ratio":0.5}}""", obj.ToJsonString());
        obj = JsonNode.Parse("""{"spec":{"replicas":3,"mode":null,"note":null,"ratio":null,"ports":[{"port":1},{"protocol":"UDP"}]}}""")!.AsObject();
        Defaulting.Apply(obj, schema);
        Assert.Equal("""{"spec":{"replicas":3,"mode":"fast","ratio":null,"ports":[{"port":1,"protocol":"TCP"},{"protocol":"UDP"}]}}""", obj.ToJsonString());
    }

    [Theory]
    [InlineData(".spec.cronSpec", """{"spec":{"cronSpec":"* * * * *"}}""", "* * * * *")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", """{"status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}]}}""", "True")]
    [InlineData(".spec.containers[*].image", """{"spec":{"containers":[{"image":"a"},{"image":"b"}]}}""", "a,b")]
    [InlineData(".spec.list[-1]", """{"spec":{"list":[1,2,3]}}""", "3")]
    [InlineData(".metadata.labels['app.kubernetes.io/name']", """{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}""", "web")]
    [InlineData(".spec.selector", """{"spec":{"selector":{"a":"b"}}}""", "{\"a\":\"b\"}")]
    [InlineData(".spec.missing.deeper", """{"spec":{}}""", "")]
    public void PrinterColumnPathsFindWhatJsonPathFinds(string path, string obj, string expected)
    {
        var found = JsonPath.TryParse(path, out var error);
        Assert.True(found is not null, error);
        Assert.Equal(expected, string.Join(",", found.Find(JsonNode.Parse(obj)).Select(JsonPath.Text)));
    }

    [Theory]
    [InlineData("""{"properties":{"spec":{"type":"object"}}}""", "x.type: Required value: must not be empty at the root")]
    [InlineData("""{"type":"string"}""", "x.type: Invalid value: \"string\": must be object at the root")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"array"}}}""", "x.properties[a].items: Required value: must be specified")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"object","properties":{"b":{}}}}}""", "x.properties[a].properties[b].type: Required value: must not be empty for specified object fields")]
    [InlineData("""{"type":"object","additionalProperties":{"type":"string"}}""", "x.additionalProperties: Forbidden: must not be used at the root")]
    [InlineData("""{"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}""", "x.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","anyOf":[{"type":"string"}]}}}""", "x.properties[a].anyOf[0].type: Forbidden: must be empty to be structural")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}""", "x.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer","default":"one"}}}""", "x.properties[a].default: Invalid value: \"string\": x.properties[a].default in body must be of type integer: \"string\"")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"map"}}}""", "x.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map")]
    [InlineData("""{"type":"object","properties":{"a":{"x-kubernetes-int-or-string":true},"b":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}""", "")]
    public void SchemasMustBeStructural(string schema, string expected)
    {
        var errors = new List<FieldCause>();
        StructuralValidation.Validate(JsonNode.Parse(schema)!.AsObject(), "x", errors);
        Assert.Equal(expected, string.Join("|", errors.Select(e => $"{e.Field}: {e.Message}")));
    }

    private static Crd Read(string name, string group, string plural, string kind, bool accepted, params string[] shortNames)
    {
        var names = new JsonObject { ["plural"] = plural, ["singular"] = plural.TrimEnd('s'), ["kind"] = kind, ["listKind"] = kind + "List",
            ["shortNames"] = new JsonArray(shortNames.Select(s => (JsonNode)s).ToArray()) };
        var crd = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["group"] = group, ["names"] = names, ["versions"] = new JsonArray() },
        };
        if (accepted)
            crd["status"] = new JsonObject
            {
                ["acceptedNames"] = names.DeepClone(),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Established", ["status"] = "True" }),
            };
        return Crd.Read(crd);
    }

    [Theory]
    [InlineData("dogs", "Dog", "", "True NoConflicts no conflicts found True InitialNamesAccepted")]
    [InlineData("cats", "Lion", "", "False PluralConflict \"cats\" is already in use False NotAccepted")]
    [InlineData("cat", "Lion", "", "False PluralConflict \"cat\" is already in use False NotAccepted")]
    [InlineData("lions", "Cat", "", "False KindConflict \"Cat\" is already in use False NotAccepted")]
    [InlineData("lions", "Lion", "kt", "False ShortNamesConflict \"kt\" is already in use False NotAccepted")]
    [InlineData("lions", "CatList", "", "False KindConflict \"CatList\" is already in use False NotAccepted")]
    public void NamesAreAcceptedUnlessAnotherCrdOfTheGroupHoldsThem(string plural, string kind, string shortName, string expected)
    {
        var cats = Read("cats.zoo.io", "zoo.io", "cats", "Cat", accepted: true, "kt");
        var elsewhere = Read("dogs.farm.io", "farm.io", "dogs", "Dog", accepted: true);
        var crd = Read($"other-{plural}.zoo.io", "zoo.io", plural, kind, accepted: false, shortName.Length > 0 ? [shortName] : []);
        var outcome = CrdNaming.Decide(crd, [cats, elsewhere], null, DateTimeOffset.UnixEpoch);
        string Show(JsonObject c) => $"{c["status"]} {c["reason"]}" + (c["type"]!.GetValue<string>() == "NamesAccepted" ? $" {c["message"]}" : "");
        Assert.Equal(expected, $"{Show(outcome.NamesAccepted)} {Show(outcome.Established)}");
    }
}
