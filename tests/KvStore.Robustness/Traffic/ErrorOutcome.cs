using Grpc.Core;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// What an error tells about a request's effect. A read never has one, so a failed read is <see cref="Outcome.Failed"/>.
/// A write is <see cref="Outcome.Failed"/> only for codes etcd returns before proposing it (bad argument, compare on
/// a compacted or future revision, lease not found, no space); anything else (timeout, lost connection, leader
/// changed, internal) may have been applied and is <see cref="Outcome.Unknown"/>.
/// </summary>
public static class ErrorOutcome
{
    public static Outcome Of(Request request, StatusCode code)
    {
        if (IsRead(request)) return Outcome.Failed;
        return code switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.NotFound
                or StatusCode.ResourceExhausted or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented
                or StatusCode.AlreadyExists => Outcome.Failed,
            _ => Outcome.Unknown,
        };
    }

    /// <summary>Whether the member that answered this way is cut off (the client should try another member).</summary>
    public static bool IsConnectionLoss(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown;

    private static bool IsRead(Request request) => request switch
    {
        RangeRequest => true,
        TxnRequest t => t.Success.Concat(t.Failure).All(r => r is RangeRequest),
        _ => false,
    };
}
