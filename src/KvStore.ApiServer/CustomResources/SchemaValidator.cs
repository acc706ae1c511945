using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KvStore.ApiServer.Schema;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// A custom resource checked against its version's schema as kube-apiserver does (kube-openapi's SchemaValidator, its
/// results turned into field errors by apiextensions' kubeOpenAPIResultToFieldErrors, plus the x-kubernetes-list-type
/// uniqueness checks): `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`,
/// `spec.cronSpec: Required value`, `spec.x: Unsupported value: "c": supported values: "a", "b"`. Field paths are
/// "spec.items[0].name"; the messages name the same path followed by "in body". Held by
/// SchemaRulesTests.ValuesAreCheckedWithKubeOpenApisMessages.
/// </summary>
internal static class SchemaValidator
{
    public static void Validate(SchemaNode schema, JsonNode? value, string path, List<FieldCause> errors)
    {
        if (!CheckType(schema, value, path, errors))
            return;
        Composition(schema, value, path, errors);
        switch (value)
        {
            case JsonObject o:
                Object(schema, o, path, errors);
                break;
            case JsonArray a:
                Array(schema, a, path, errors);
                break;
            case JsonValue v when JsonValues.String(v) is { } s:
                String(schema, s, path, errors);
                break;
            case JsonValue v when JsonValues.TryNumber(v, out var d):
                Number(schema, d, v, path, errors);
                break;
        }
        if (value is not null && schema.Enum is { Count: > 0 } allowed && !allowed.Any(e => JsonNode.DeepEquals(e, value)))
            errors.Add(NotSupported(path, JsonValues.ForError(value), allowed.Select(e => JsonValues.String(e) ?? e?.ToJsonString() ?? "null")));
    }

    private static string In(string path) => path + " in body";

    /// <summary>type (and nullable, x-kubernetes-int-or-string, format): a mismatch ends the checks of this value.</summary>
    private static bool CheckType(SchemaNode schema, JsonNode? value, string path, List<FieldCause> errors)
    {
        var actual = JsonValues.TypeName(value);
        if (actual == "null" && (schema.Nullable || schema.Type is null))
            return false;
        string? expected;
        if (schema.IntOrString)
            expected = actual is "integer" or "string" ? null : "integer,string";
        else
            expected = schema.Type switch
            {
                null => null,
                "number" when actual is "integer" or "number" => null,
                "integer" when actual == "number" && JsonValues.TryInteger(value, out _) => null,
                var t when t == actual => null,
                var t => t,
            };
        if (expected is not null)
        {
            errors.Add(new FieldCause("FieldValueTypeInvalid",
                $"Invalid value: {Render(actual)}: {In(path)} must be of type {expected}: {Quote(actual)}", path));
            return false;
        }
        if (schema.Type == "string" && schema.Format is { } format && JsonValues.String(value) is { } s && !Formats.IsValid(format, s))
        {
            errors.Add(Invalid(path, s, $"{In(path)} must be of type {format}: {Quote(s)}"));
            return false;
        }
        return true;
    }

    private static void Object(SchemaNode schema, JsonObject o, string path, List<FieldCause> errors)
    {
        if (schema.MinProperties is { } min && o.Count < min)
        {
            errors.Add(Invalid(path, (long)o.Count, $"{In(path)} should have at least {min} properties"));
            return;
        }
        if (schema.MaxProperties is { } max && o.Count > max)
        {
            errors.Add(TooMany(path, o.Count, max));
            return;
        }
        if (schema.AdditionalProperties is { } values)
            foreach (var (key, child) in o)
                if (schema.Property(key) is null)
                    Validate(values, child, Child(path, key), errors);
        foreach (var (name, property) in schema.Properties)
            if (o.TryGetPropertyValue(name, out var child))
                Validate(property, child, Child(path, name), errors);
        foreach (var name in schema.Required)
            if (!o.ContainsKey(name))
                errors.Add(Required(Child(path, name)));
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static void Array(SchemaNode schema, JsonArray a, string path, List<FieldCause> errors)
    {
        if (schema.Items is { } items)
            for (var i = 0; i < a.Count; i++)
                Validate(items, a[i], $"{path}[{i}]", errors);
        if (schema.MinItems is { } min && a.Count < min)
            errors.Add(Invalid(path, (long)a.Count, $"{In(path)} should have at least {min} items"));
        if (schema.MaxItems is { } max && a.Count > max)
            errors.Add(TooMany(path, a.Count, max));
        ListType(schema, a, path, errors);
    }

    /// <summary>x-kubernetes-list-type set: no value twice; map: no two elements with the same keys (listtype/validation.go).</summary>
    private static void ListType(SchemaNode schema, JsonArray a, string path, List<FieldCause> errors)
    {
        if (schema.ListType == "set")
        {
            for (var i = 0; i < a.Count; i++)
                if (Enumerable.Range(0, i).Any(j => JsonNode.DeepEquals(a[j], a[i])))
                    errors.Add(Duplicate($"{path}[{i}]", JsonValues.ForError(a[i])));
        }
        else if (schema.ListType == "map" && schema.ListMapKeys.Count > 0)
        {
            JsonObject? Keys(JsonNode? element) => element is JsonObject o
                ? new JsonObject(schema.ListMapKeys.Where(o.ContainsKey).Select(k => KeyValuePair.Create(k, o[k]?.DeepClone())))
                : null;
            for (var i = 0; i < a.Count; i++)
                if (Keys(a[i]) is { } keys && Enumerable.Range(0, i).Any(j => JsonNode.DeepEquals(Keys(a[j]), keys)))
                    errors.Add(Duplicate($"{path}[{i}]", new Raw(JsonValues.GoValue(keys))));
        }
    }

    private static void String(SchemaNode schema, string s, string path, List<FieldCause> errors)
    {
        var length = s.EnumerateRunes().Count();
        if (schema.MaxLength is { } max && length > max)
            errors.Add(TooLong(path, (int)max));
        if (schema.MinLength is { } min && length < min)
            errors.Add(Invalid(path, s, $"{In(path)} should be at least {min} chars long"));
        if (schema.Pattern is { } pattern && Patterns.Matches(pattern, s) == false)
            errors.Add(Invalid(path, s, $"{In(path)} should match '{pattern}'"));
    }

    private static void Number(SchemaNode schema, double d, JsonNode value, string path, List<FieldCause> errors)
    {
        var shown = JsonValues.ForError(value);
        if (schema.Maximum is { } max && (schema.ExclusiveMaximum ? d >= max : d > max))
            errors.Add(Invalid(path, shown,
                $"{In(path)} should be less than {(schema.ExclusiveMaximum ? "" : "or equal to ")}{JsonValues.Show(max)}"));
        if (schema.Minimum is { } min && (schema.ExclusiveMinimum ? d <= min : d < min))
            errors.Add(Invalid(path, shown,
                $"{In(path)} should be greater than {(schema.ExclusiveMinimum ? "" : "or equal to ")}{JsonValues.Show(min)}"));
        if (schema.MultipleOf is { } factor && factor > 0 && Math.Abs(Math.IEEERemainder(d, factor)) > 1e-9)
            errors.Add(Invalid(path, shown, $"{In(path)} should be a multiple of {JsonValues.Show(factor)}"));
    }

    /// <summary>allOf, anyOf, oneOf, not (value validations only, as structural schemas allow there).</summary>
    private static void Composition(SchemaNode schema, JsonNode? value, string path, List<FieldCause> errors)
    {
        foreach (var all in schema.AllOf)
            Validate(all, value, path, errors);
        if (schema.AnyOf.Count > 0 && !schema.AnyOf.Any(s => Passes(s, value, path)))
            errors.Add(Invalid(path, JsonValues.ForError(value), $"{In(path)} must validate at least one schema (anyOf)"));
        if (schema.OneOf.Count > 0)
        {
            var valid = schema.OneOf.Count(s => Passes(s, value, path));
            if (valid != 1)
                errors.Add(Invalid(path, JsonValues.ForError(value), $"{In(path)} must validate one and only one schema (oneOf). " +
                    (valid == 0 ? "Found none valid" : $"Found {valid} valid alternatives")));
        }
        if (schema.Not is { } not && Passes(not, value, path))
            errors.Add(Invalid(path, JsonValues.ForError(value), $"{In(path)} must not validate the schema (not)"));
    }

    private static bool Passes(SchemaNode schema, JsonNode? value, string path)
    {
        var found = new List<FieldCause>();
        Validate(schema, value, path, found);
        return found.Count == 0;
    }

    private static FieldCause TooMany(string path, int actual, long max) =>
        new("FieldValueTooMany", $"Too many: {actual}: must have at most {max} items", path);
}

/// <summary>The CRD patterns as compiled once (ECMA-style regular expressions, as kube-openapi runs them with Go's
/// regexp: a pattern that does not compile never matches).</summary>
internal static class Patterns
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex?> Cache = new(StringComparer.Ordinal);

    public static bool? Matches(string pattern, string value) => Compile(pattern)?.IsMatch(value);

    public static Regex? Compile(string pattern) => Cache.GetOrAdd(pattern, p =>
    {
        try
        {
            return new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return null;
        }
    });
}
