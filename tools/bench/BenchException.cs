namespace KvStore.Bench;

/// <summary>A run that cannot go on (a tool failed to build, a server did not start, loadgen printed no result).</summary>
internal sealed class BenchException(string message) : Exception(message);
