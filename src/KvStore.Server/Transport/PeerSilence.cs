namespace KvStore.Server.Transport;

/// <summary>
/// What this member's Raft client last saw of one other member: a (pre-)vote it left unanswered (a stopped process), or,
/// for the leader, an election timeout without a heartbeat (<see cref="VoterStickiness"/>). Within <c>window</c> after
/// that, until it answers anything:
/// <list type="bullet">
/// <item>a (pre-)vote to it fails at once: DotNext's candidate counts its votes only once every member answered or failed,
/// so the vote after an unanswered pre-vote waited the vote deadline a second time;</item>
/// <item>the first other request gets the vote deadline too: a new leader's first heartbeat round waits for every member
/// when a follower refuses it (DotNext's first heartbeat names the leader's own no-op, which no follower has yet), and
/// waited the whole request timeout for the stopped one. Once only, so a slow member is not cut off again and again.</item>
/// </list>
/// Tests: RaftDialerTests.AfterAnUnansweredVoteTheNextRequestHasTheVoteDeadlineOnce, ALeaderMarkedSilentGetsNoVoteDeadlineToWaitOut.
/// </summary>
internal sealed class PeerSilence(TimeSpan window)
{
    private long _silentSinceMs; // Environment.TickCount64 when it went silent; 0: answered since, or the suspicion was used

    /// <summary>
    /// A (pre-)vote to the member got no answer within the vote deadline, or, as leader, it sent no heartbeat for an
    /// election timeout.
    /// </summary>
    public void MarkSilent() => Volatile.Write(ref _silentSinceMs, Math.Max(1, Environment.TickCount64));

    /// <summary>The member answered a request.</summary>
    public void Answered()
    {
        if (Volatile.Read(ref _silentSinceMs) != 0) Volatile.Write(ref _silentSinceMs, 0);
    }

    /// <summary>Whether the member went silent within the window, with no answer since.</summary>
    public bool Silent => Within(Volatile.Read(ref _silentSinceMs));

    /// <summary>Whether the next request (not a vote) gets the vote deadline: once after the member went silent, within the window.</summary>
    public bool TakeSuspicion() => Volatile.Read(ref _silentSinceMs) != 0 && Within(Interlocked.Exchange(ref _silentSinceMs, 0));

    private bool Within(long silentSinceMs) => silentSinceMs != 0 && Environment.TickCount64 - silentSinceMs <= (long)window.TotalMilliseconds;
}
