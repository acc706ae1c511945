namespace KvStore.Server.Transport;

/// <summary>
/// The stream under an outgoing Raft connection, which aborts the connection when a (pre-)vote request gets no answer
/// within the vote deadline. DotNext's candidate counts its (pre-)votes only once every member has answered or its
/// request timed out, and a stopped member (SIGSTOP, a stalled VM: its kernel still accepts the connection) answers
/// nothing, so each round waited the whole request timeout (3/4 of the election timeout) and a paused leader was
/// replaced only after et + 1.5 s. A vote is answered at once by a running member; an aborted one counts as unavailable.
/// Requests and answers alternate on a connection: the first write after an answer starts a request, and its first
/// byte is DotNext's message type. After an unanswered vote, the next votes fail at once and the first other request
/// gets the deadline too (<see cref="PeerSilence"/>).
/// Test: RaftDialerTests.AnUnansweredVoteAbortsTheConnectionOtherRequestsWait.
/// </summary>
internal sealed class VoteDeadlineStream(Stream inner, TimeSpan deadline, PeerSilence silence, Action abort) : Stream
{
    private const byte Vote = 0b0000_0001, PreVote = 0b0000_0111; // DotNext 6.12's MessageType

    private bool _awaitingAnswer;
    private Timer? _timer;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        bool silent = false;
        if (!_awaitingAnswer && buffer.Length > 0)
        {
            _awaitingAnswer = true;
            if (buffer.Span[0] is Vote or PreVote)
            {
                silent = silence.Silent;
                if (!silent) Arm(vote: true);
            }
            else if (silence.TakeSuspicion())
            {
                Arm(vote: false);
            }
        }
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        // At once, after the write: the answer's read fails as at the deadline. Not new evidence of silence, so the
        // window still counts from the unanswered vote (or the leader's silence) that started it.
        if (silent) abort();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0 && _awaitingAnswer)
        {
            _awaitingAnswer = false;
            Disarm();
            silence.Answered();
        }
        return read;
    }

    private void Arm(bool vote)
    {
        Disarm();
        _timer = new Timer(static state => ((Action)state!)(), vote ? VoteUnanswered : abort, deadline, Timeout.InfiniteTimeSpan);
    }

    private void VoteUnanswered()
    {
        silence.MarkSilent();
        abort();
    }

    private void Disarm() => Interlocked.Exchange(ref _timer, null)?.Dispose();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Disarm();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Disarm();
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
