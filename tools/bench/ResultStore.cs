using System.Text.Json;

namespace KvStore.Bench;

/// <summary>
/// Every measured run so far (results.json in the output dir), saved after each run so that an interrupted
/// measurement resumes (<c>--resume</c>) and topologies measured one at a time end up in one RESULTS.md.
/// </summary>
internal sealed class ResultStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string _path;
    private readonly List<RunRecord> _records;

    private ResultStore(string path, List<RunRecord> records)
    {
        _path = path;
        _records = records;
    }

    public IReadOnlyList<RunRecord> Records => _records;

    public static ResultStore Open(string path) =>
        new(path, File.Exists(path) ? JsonSerializer.Deserialize<List<RunRecord>>(File.ReadAllText(path), Json) ?? [] : []);

    /// <summary>Drops the runs of these topologies and workloads: a new measurement of them replaces the old one.</summary>
    public void Forget(IEnumerable<int> members, IEnumerable<Workload> workloads)
    {
        HashSet<int> m = [.. members];
        HashSet<string> w = [.. workloads.Select(x => x.Name)];
        _records.RemoveAll(r => m.Contains(r.Members) && w.Contains(r.Workload));
    }

    public bool Has(string system, int members, int round, Workload workload) =>
        _records.Any(r => r.System == system && r.Members == members && r.Round == round && r.Workload == workload.Name);

    /// <summary>Adds the run and rewrites the file (through a temp file, so a kill leaves the old or the new one).</summary>
    public void Add(RunRecord record)
    {
        _records.Add(record);
        Save();
    }

    public void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        string tmp = _path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_records, Json));
        File.Move(tmp, _path, overwrite: true);
    }
}
