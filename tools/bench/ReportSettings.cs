namespace KvStore.Bench;

/// <summary>What RESULTS.md says about how its numbers were taken (the runs themselves carry the rest).</summary>
internal sealed record ReportSettings(string CommandLine, bool Quick, int Rounds, string EtcdVersion, string ChartFile);
