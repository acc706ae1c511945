namespace KvStore.Bench;

/// <summary>The KvStore checkout (the directory with KvStore.sln) the tool runs from: tools/loadgen and benchmarks/ are there.</summary>
internal static class RepoRoot
{
    public static string Find()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "KvStore.sln"))) return d.FullName;
            }
        }
        throw new BenchException("no KvStore.sln above the working directory or the tool: run bench inside the KvStore checkout");
    }
}
