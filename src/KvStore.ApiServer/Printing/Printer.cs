using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>The cells of one row, in column order, and kube's row conditions (only pods set them).</summary>
internal sealed record PrintedRow(IReadOnlyList<JsonNode?> Cells, JsonArray? Conditions = null);

/// <summary>A resource's columns and the function that prints one object as a row of them (always the wide row:
/// kube-apiserver generates the Table with Wide=true and kubectl hides priority-1 columns itself).</summary>
internal sealed record Printer(IReadOnlyList<TableColumn> Columns, Func<JsonObject, DateTimeOffset, PrintedRow> Print);
