using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Schema;

/// <summary>kube's field.Error constructors (k8s.io/apimachinery/pkg/util/validation/field/errors.go): reason and the
/// message ErrorBody() gives.</summary>
internal static class FieldErrors
{
    public static FieldCause Required(string field, string detail = "") =>
        new("FieldValueRequired", detail.Length == 0 ? "Required value" : $"Required value: {detail}", field);

    public static FieldCause Invalid(string field, object? value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {Render(value)}: {detail}", field);

    public static FieldCause NotSupported(string field, object? value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported",
            $"Unsupported value: {Render(value)}: supported values: {string.Join(", ", supported.Select(s => Quote(s)))}", field);

    public static FieldCause Duplicate(string field, object? value) =>
        new("FieldValueDuplicate", $"Duplicate value: {Render(value)}", field);

    public static FieldCause NotFound(string field, object? value) =>
        new("FieldValueNotFound", $"Not found: {Render(value)}", field);

    public static FieldCause Forbidden(string field, string detail) =>
        new("FieldValueForbidden", $"Forbidden: {detail}", field);

    public static FieldCause TooLong(string field, int max) =>
        new("FieldValueTooLong", $"Too long: may not be more than {max} bytes", field);

    /// <summary>The value as Go's %#v would print it in kube's messages: strings quoted, numbers bare,
    /// map[string]string{"a":"b"} for label maps.</summary>
    public static string Render(object? value) => value switch
    {
        null => "null",
        Raw raw => raw.Text,
        string s => Quote(s),
        bool b => b ? "true" : "false",
        long or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        IReadOnlyDictionary<string, string> map => "map[string]string{" +
            string.Join(", ", map.OrderBy(p => p, Comparer<KeyValuePair<string, string>>.Create((a, b) => string.CompareOrdinal(a.Key, b.Key)))
                .Select(p => $"{Quote(p.Key)}:{Quote(p.Value)}")) + "}",
        JsonNode node => node.GetValueKind() == JsonValueKind.String ? Quote(node.GetValue<string>()) : node.ToJsonString(),
        _ => value.ToString() ?? "",
    };

    /// <summary>A value already rendered as Go would print it (a struct, a slice).</summary>
    public sealed record Raw(string Text);

    /// <summary>Go's %q of a string.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}
