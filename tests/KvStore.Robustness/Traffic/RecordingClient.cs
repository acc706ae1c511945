using Grpc.Core;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// One sequential client of a run: sends each request with a deadline to its current member and records it with
/// invoke and return times. After a connection-level error it moves on to the next member, as etcd's client
/// balancer does, so clients stay spread over the members that serve.
/// </summary>
public sealed class RecordingClient
{
    private readonly IReadOnlyList<MemberChannel> _members;
    private readonly HistoryRecorder _recorder;
    private readonly TimeSpan _deadline;
    private int _current;

    public RecordingClient(int id, IReadOnlyList<MemberChannel> members, HistoryRecorder recorder, TimeSpan deadline)
    {
        Id = id;
        _members = members;
        _recorder = recorder;
        _deadline = deadline;
        _current = id % members.Count;
    }

    public int Id { get; }

    public MemberChannel Member => _members[_current];

    /// <summary>The newest header revision this client has seen.</summary>
    public long LastRevision { get; private set; }

    /// <summary>Sends and records <paramref name="request"/>; the response when it succeeded, else null.</summary>
    public async Task<Response?> SendAsync(Request request)
    {
        MemberChannel member = Member;
        long id = _recorder.NextId();
        long invoke = Clock.Now;
        try
        {
            Response response = await Wire.SendAsync(member, request, DateTime.UtcNow + _deadline).ConfigureAwait(false);
            _recorder.Add(new Operation
            {
                Client = Id, Id = id, Request = request, Invoke = invoke, Return = Clock.Now, Outcome = Outcome.Ok,
                Response = response, Endpoint = member.Url,
            });
            LastRevision = Math.Max(LastRevision, response.Revision);
            return response;
        }
        catch (RpcException e)
        {
            _recorder.Add(new Operation
            {
                Client = Id, Id = id, Request = request, Invoke = invoke, Return = Clock.Now,
                Outcome = ErrorOutcome.Of(request, e.StatusCode), Error = $"{e.StatusCode}: {e.Status.Detail}", Endpoint = member.Url,
            });
            if (ErrorOutcome.IsConnectionLoss(e.StatusCode)) _current = (_current + 1) % _members.Count;
            return null;
        }
    }
}
