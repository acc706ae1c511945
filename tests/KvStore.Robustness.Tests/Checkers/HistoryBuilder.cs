namespace KvStore.Robustness.Tests.Checkers;

/// <summary>Builds small synthetic histories for the checker tests; times are in milliseconds.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> _operations = [];
    private readonly List<WatchRecord> _watches = [];
    private readonly List<MemberState> _finals = [];
    private readonly List<FaultRecord> _faults = [];
    private long _id;

    public static KeyValue Kv(string key, string value, long create, long mod, long version, long lease = 0) => new(key, value, create, mod, version, lease);

    public Operation Add(Request request, long invoke, long @return, Response? response, Outcome outcome = Outcome.Ok, int client = 1, string? error = null)
    {
        var op = new Operation
        {
            Client = client, Id = ++_id, Request = request, Invoke = invoke * 1_000_000, Return = @return * 1_000_000,
            Outcome = outcome, Response = outcome == Outcome.Ok ? response : null, Error = error,
        };
        _operations.Add(op);
        return op;
    }

    public Operation Put(string key, string value, long invoke, long @return, long revision, long lease = 0, int client = 1) =>
        Add(new PutRequest(key, value, lease), invoke, @return, new PutResponse(null) { Revision = revision, Member = 1 }, client: client);

    public Operation PutUnknown(string key, string value, long invoke, long @return, int client = 1) =>
        Add(new PutRequest(key, value), invoke, @return, null, Outcome.Unknown, client, "DeadlineExceeded");

    public Operation Get(string key, long invoke, long @return, long revision, KeyValue? kv, bool serializable = false, ulong member = 1, int client = 2) =>
        Add(new RangeRequest(key, Serializable: serializable), invoke, @return,
            new RangeResponse(kv is null ? [] : [kv], kv is null ? 0 : 1) { Revision = revision, Member = member }, client: client);

    public WatchRecord Watch(string key, long start, bool prevKv = false, bool noPut = false, bool noDelete = false, string? rangeEnd = null,
        long opened = 0, params WatchResponseRecord[] responses)
    {
        var w = new WatchRecord
        {
            Client = 9, Id = _watches.Count + 1, Key = key, RangeEnd = rangeEnd, StartRevision = start, PrevKv = prevKv, NoPut = noPut,
            NoDelete = noDelete, Opened = opened * 1_000_000, Responses = [new WatchResponseRecord(opened * 1_000_000, Math.Max(1, start - 1), [], Created: true), .. responses],
        };
        _watches.Add(w);
        return w;
    }

    public static WatchResponseRecord Events(long revision, params WatchEvent[] events) => new(1, revision, events);

    public static WatchResponseRecord Compacted(long time, long revision, long compactRevision) =>
        new(time * 1_000_000, revision, [], Canceled: true, CompactRevision: compactRevision);

    public void Final(string name, long revision, uint hash, IReadOnlyList<KeyValue> kvs, IReadOnlyList<long>? leases = null) =>
        _finals.Add(new MemberState(name, $"http://{name}", revision, 0, hash, kvs, leases ?? []));

    public void Fault(FaultRecord fault) => _faults.Add(fault);

    public RecordedHistory Build() => new()
    {
        Members = 3,
        ElectionTimeoutMs = 1000,
        Operations = _operations.OrderBy(o => o.Invoke).ToList(),
        Watches = _watches,
        Faults = _faults,
        FinalStates = _finals,
    };
}
