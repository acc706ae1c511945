using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// The body of an apply-patch+yaml request as JSON (kubectl sends JSON, which is YAML too; other clients send YAML).
/// Plain scalars resolve as sigs.k8s.io/yaml resolves them: null/~, true/false, integers, floats; quoted ones are strings.
/// </summary>
internal static partial class ApplyYaml
{
    public static JsonObject Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new PatchException($"error decoding YAML: {e.Message}", badRequest: true);
        }
        if (stream.Documents.Count != 1 || Convert(stream.Documents[0].RootNode) is not JsonObject obj)
            throw new PatchException("error decoding YAML: the apply patch must be one object", badRequest: true);
        return obj;
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode s ? s.Value ?? "" : throw new PatchException("error decoding YAML: map keys must be strings",
                        badRequest: true);
                    if (obj.ContainsKey(name))
                        throw new PatchException($"error decoding YAML: duplicate field \"{name}\"", badRequest: true);
                    obj[name] = Convert(value);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                    arr.Add(Convert(item));
                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new PatchException("error decoding YAML: aliases are not supported", badRequest: true);
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
            return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (IntPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
