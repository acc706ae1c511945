using System.Text.Json.Serialization;

namespace KvStore.Robustness.History;

[JsonConverter(typeof(JsonStringEnumConverter<EventType>))]
public enum EventType { Put, Delete }

public sealed record WatchEvent(EventType Type, KeyValue Kv, KeyValue? PrevKv = null);

/// <summary>One WatchResponse as received; Time is when it arrived, Revision its header revision.</summary>
public sealed record WatchResponseRecord(
    long Time,
    long Revision,
    IReadOnlyList<WatchEvent> Events,
    bool Created = false,
    bool Canceled = false,
    long CompactRevision = 0,
    string? CancelReason = null);

/// <summary>
/// One watch as a client opened it (the create request's fields) and everything it received until
/// <see cref="Closed"/>. A client that resumes after a broken stream opens a new watch record whose
/// StartRevision is the last received revision + 1.
/// </summary>
public sealed record WatchRecord
{
    public required int Client { get; init; }
    public required long Id { get; init; }
    public required string Key { get; init; }
    public string? RangeEnd { get; init; }
    public long StartRevision { get; init; }
    public bool PrevKv { get; init; }
    public bool NoPut { get; init; }
    public bool NoDelete { get; init; }
    public string? Endpoint { get; init; }
    public required long Opened { get; init; }
    public long Closed { get; init; }

    /// <summary>Why the stream ended: null when the harness closed it, else the error.</summary>
    public string? Error { get; init; }

    public List<WatchResponseRecord> Responses { get; init; } = [];
}
