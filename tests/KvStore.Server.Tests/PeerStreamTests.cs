using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Server.Transport;
using Kvstorepb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Tests;

/// <summary>
/// PeerStream, the long-lived call that carries a follower's read index questions (and a leader's confirmations) to
/// another member, against a real gRPC server on loopback: answers matched by seq, a broken call giving its questions
/// up and the next question opening a new call, and the unary form for a member that does not serve the stream.
/// </summary>
public sealed class PeerStreamTests : IAsyncLifetime
{
    private WebApplication? _app;
    private GrpcChannel? _channel;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TestForward _forward = new();

    /// <summary>The member's side: a Forward service with the read index questions only, its behaviour set by each test.</summary>
    private sealed class TestForward : Forward.ForwardBase
    {
        public volatile bool ServeStream = true;
        public int StreamsOpened;
        public int UnaryCalls;
        public int AnswerInReverseOf = 1; // answers every N questions of a stream together, the last asked first
        public int BreakAfter = int.MaxValue; // ends a stream (an error) once it has read this many questions

        public override async Task ReadIndexStream(IAsyncStreamReader<ReadIndexRequest> requests,
            IServerStreamWriter<ReadIndexResponse> responses, ServerCallContext context)
        {
            if (!ServeStream) throw new RpcException(new Status(StatusCode.Unimplemented, "ReadIndexStream is not served"));
            Interlocked.Increment(ref StreamsOpened);
            var held = new List<ReadIndexRequest>();
            int read = 0;
            while (await requests.MoveNext(context.CancellationToken))
            {
                if (++read > BreakAfter) throw new RpcException(new Status(StatusCode.Unavailable, "member went away"));
                held.Add(requests.Current);
                if (held.Count < AnswerInReverseOf) continue;
                for (int i = held.Count - 1; i >= 0; i--)
                {
                    await responses.WriteAsync(new ReadIndexResponse { Seq = held[i].Seq, Index = 1000 + (long)held[i].Seq });
                }
                held.Clear();
            }
        }

        public override Task<ReadIndexResponse> ReadIndex(ReadIndexRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref UnaryCalls);
            return Task.FromResult(new ReadIndexResponse { Index = 7 });
        }
    }

    public async Task InitializeAsync()
    {
        int port = Ports.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_forward);
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.MapGrpcService<TestForward>();
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _stopping.Dispose();
    }

    private PeerStream<ReadIndexRequest, ReadIndexResponse> NewStream()
    {
        var client = new Forward.ForwardClient(_channel!);
        return new PeerStream<ReadIndexRequest, ReadIndexResponse>(
            (headers, token) => client.ReadIndexStream(headers, cancellationToken: token),
            (request, headers, deadline, token) => client.ReadIndexAsync(request, headers, deadline, token),
            () => [], _stopping.Token);
    }

    private static Task<ReadIndexResponse?> Ask(PeerStream<ReadIndexRequest, ReadIndexResponse> stream) =>
        stream.AskAsync(new ReadIndexRequest(), DateTime.UtcNow.AddSeconds(10), CancellationToken.None);

    [Fact]
    public async Task ManyQuestionsShareOneCallAndEachGetsItsOwnAnswerWhateverTheOrder()
    {
        _forward.AnswerInReverseOf = 4;
        var stream = NewStream();
        for (int round = 0; round < 3; round++)
        {
            // four questions at once: the member answers them last first
            ReadIndexResponse?[] answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Ask(stream)));
            var seqs = new HashSet<ulong>();
            foreach (ReadIndexResponse? answer in answers)
            {
                Assert.NotNull(answer);
                Assert.Equal(1000 + (long)answer.Seq, answer.Index); // the answer to this question, not another's
                Assert.True(seqs.Add(answer.Seq));
            }
        }
        Assert.Equal(1, _forward.StreamsOpened);
        Assert.Equal(0, _forward.UnaryCalls);
    }

    [Fact]
    public async Task ABrokenCallGivesItsQuestionsUpAndTheNextQuestionOpensANewOne()
    {
        _forward.AnswerInReverseOf = 2; // the first question waits for a second, which breaks the call
        _forward.BreakAfter = 1;
        var stream = NewStream();
        Task<ReadIndexResponse?> first = Ask(stream);
        Task<ReadIndexResponse?> second = Ask(stream);
        Assert.Null(await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await second.WaitAsync(TimeSpan.FromSeconds(10)));

        _forward.AnswerInReverseOf = 1;
        _forward.BreakAfter = int.MaxValue;
        ReadIndexResponse? answer = null;
        for (int attempt = 0; attempt < 50 && answer is null; attempt++) answer = await Ask(stream); // as a caller retries
        Assert.NotNull(answer);
        Assert.Equal(1000 + (long)answer.Seq, answer.Index);
        Assert.Equal(2, _forward.StreamsOpened);
        Assert.Equal(0, _forward.UnaryCalls);
    }

    [Fact]
    public async Task AMemberThatDoesNotServeTheStreamIsAskedWithTheUnaryCallFromThenOn()
    {
        _forward.ServeStream = false;
        var stream = NewStream();
        // The stream call fails (Unimplemented): its question gets no answer, and so may one asked before the failure
        // was read; the asker retries, as after any lost answer.
        ReadIndexResponse? first = null;
        int lost = 0;
        for (; lost < 50 && (first = await Ask(stream).WaitAsync(TimeSpan.FromSeconds(10))) is null; lost++) { }
        Assert.InRange(lost, 1, 3);
        Assert.Equal(7, first?.Index);
        for (int i = 0; i < 5; i++) Assert.Equal(7, (await Ask(stream))?.Index); // unary from then on: never lost again
        Assert.Equal(6, _forward.UnaryCalls);
        Assert.Equal(0, _forward.StreamsOpened);
    }
}
