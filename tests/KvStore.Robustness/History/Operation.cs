using System.Text.Json.Serialization;

namespace KvStore.Robustness.History;

/// <summary>What a client learned about one request it sent.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Outcome>))]
public enum Outcome
{
    /// <summary>A response came back: the request took effect exactly once, between invoke and return.</summary>
    Ok,

    /// <summary>An error that proves the request did not take effect (e.g. a failed precondition, compacted revision).</summary>
    Failed,

    /// <summary>No answer (timeout, connection lost, leader changed): it may take effect at any time after invoke.</summary>
    Unknown,
}

/// <summary>
/// One client request of a recorded history. Times are nanoseconds on the history's monotonic clock
/// (<see cref="Clock"/>). For an <see cref="Outcome.Unknown"/> operation <see cref="Return"/> is when the client gave
/// up; a checker treats its return as unbounded.
/// </summary>
public sealed record Operation
{
    public required int Client { get; init; }
    public required long Id { get; init; }
    public required Request Request { get; init; }
    public required long Invoke { get; init; }
    public required long Return { get; init; }
    public required Outcome Outcome { get; init; }

    /// <summary>Set for <see cref="Outcome.Ok"/> only.</summary>
    public Response? Response { get; init; }

    /// <summary>The gRPC status code and message for a failed or unknown operation.</summary>
    public string? Error { get; init; }

    /// <summary>The client URL the request was sent to.</summary>
    public string? Endpoint { get; init; }
}
