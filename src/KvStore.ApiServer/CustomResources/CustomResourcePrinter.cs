using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// The Table of a custom resource version (apiextensions' tableconvertor): Name, then the additionalPrinterColumns (an
/// Age column of .metadata.creationTimestamp when there are none). A string column prints the first value its JSONPath
/// finds as jsonpath prints it; integer, number and boolean columns carry the JSON value, date columns the age
/// ("5m"); a missing value is null.
/// </summary>
internal static class CustomResourcePrinter
{
    private static readonly CrdColumn DefaultAge = new("Age", "date", "", Docs.CreationTimestamp, 0, ".metadata.creationTimestamp");

    public static Printer For(IReadOnlyList<CrdColumn> columns)
    {
        var shown = columns.Count == 0 ? [DefaultAge] : columns;
        var paths = shown.Select(c => JsonPath.TryParse(c.JsonPath, out _)).ToList();
        var definitions = new List<TableColumn> { TableColumn.Name_() };
        definitions.AddRange(shown.Select(c => new TableColumn(c.Name, c.Type,
            c.Description ?? $"Custom resource definition column (in JSONPath format): {c.JsonPath}", c.Priority, c.Format)));
        return new Printer(definitions, (o, now) =>
        {
            var cells = new List<JsonNode?> { JsonValues.String(o["metadata"]?["name"]) ?? "" };
            for (var i = 0; i < shown.Count; i++)
                cells.Add(paths[i]?.Find(o) is [var first, ..] ? Cell(shown[i].Type, first, now) : null);
            return new PrintedRow(cells);
        });
    }

    /// <summary>kube's cellForJSONValue (and jsonpath's printing for string columns).</summary>
    private static JsonNode? Cell(string type, JsonNode? value, DateTimeOffset now)
    {
        if (value is null)
            return null;
        switch (type)
        {
            case "string":
                return JsonPath.Text(value);
            case "integer" when JsonValues.TryNumber(value, out var d):
                return (long)d;
            case "number" when JsonValues.TryNumber(value, out var d):
                return d;
            case "boolean" when value.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False:
                return value.GetValue<bool>();
            case "date" when JsonValues.String(value) is { } text:
                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                    ? Format.Since(t, now)
                    : "<invalid>";
            default:
                return null;
        }
    }
}
