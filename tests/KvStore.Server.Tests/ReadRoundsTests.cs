using KvStore.Server.Replication;

namespace KvStore.Server.Tests;

/// <summary>
/// How linearizable reads share rounds (<see cref="ReadRounds"/>): a read never waits for a round that started before it
/// while a slot is free, and past the slots reads gather so one round serves them all.
/// </summary>
public sealed class ReadRoundsTests
{
    [Fact]
    public async Task AReadDuringARoundStartsItsOwnAndLaterReadsShareTheNext()
    {
        var started = new List<TaskCompletionSource<ServerError>>();
        var rounds = new ReadRounds(() =>
        {
            var gate = new TaskCompletionSource<ServerError>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (started) started.Add(gate);
            return gate.Task;
        });

        Task<ServerError> first = rounds.WaitAsync(CancellationToken.None);
        Task<ServerError> second = rounds.WaitAsync(CancellationToken.None); // arrives while the first round runs
        Assert.Equal(2, started.Count); // its own round at once, not after the first one
        Task<ServerError> third = rounds.WaitAsync(CancellationToken.None);
        Task<ServerError> fourth = rounds.WaitAsync(CancellationToken.None);
        Assert.Equal(ReadRounds.MaxInFlight, started.Count); // both slots taken: these two wait together

        started[0].SetResult(ServerError.None);
        Assert.Equal(ServerError.None, await first);
        Assert.False(second.IsCompleted); // the first round's end does not answer a read that arrived after it started
        await WaitUntilAsync(() => started.Count == 3);
        Assert.False(third.IsCompleted);
        started[2].SetResult(ServerError.Timeout);
        Assert.Equal(ServerError.Timeout, await third);
        Assert.Equal(ServerError.Timeout, await fourth); // one round served both
        started[1].SetResult(ServerError.None);
        Assert.Equal(ServerError.None, await second);
        Assert.Equal(3, started.Count);
    }

    [Fact]
    public async Task ARoundThatThrowsAnswersStoppedAndFreesItsSlot()
    {
        int calls = 0;
        var rounds = new ReadRounds(() => ++calls == 1 ? throw new InvalidOperationException("disposed") : Task.FromResult(ServerError.None));
        Assert.Equal(ServerError.Stopped, await rounds.WaitAsync(CancellationToken.None));
        Assert.Equal(ServerError.None, await rounds.WaitAsync(CancellationToken.None));
        Assert.Equal(ServerError.None, await rounds.WaitAsync(CancellationToken.None));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (DateTime deadline = DateTime.UtcNow.AddSeconds(10); !condition(); await Task.Delay(10))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
        }
    }
}
