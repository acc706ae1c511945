using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server.Replication;
using Kvstorepb;

namespace KvStore.Server.Tests;

/// <summary>
/// <see cref="BatchingLoop"/>, the group commit the leader's proposals and a follower's forwards share: at most
/// <see cref="BatchingLoop.MaxInFlight"/> batches are sent at once, and what queued meanwhile goes out as one batch.
/// </summary>
public sealed class BatchingLoopTests
{
    private static InternalRaftRequest Put(int i) =>
        new() { Put = new PutRequest { Key = ByteString.CopyFromUtf8($"k{i}"), Value = ByteString.CopyFromUtf8("v") } };

    [Fact]
    public async Task CommandsQueuedWhileEverySlotIsBusyGoOutAsOneBatch()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new SemaphoreSlim(0);
        var sizes = new ConcurrentQueue<int>();
        int inFlight = 0, most = 0;
        var loop = new BatchingLoop(async (batch, token) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            sizes.Enqueue(batch.Requests.Count);
            sent.Release();
            await release.Task.WaitAsync(token);
            Interlocked.Decrement(ref inFlight);
        });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task running = loop.RunAsync(stop.Token);
        for (int i = 0; i < BatchingLoop.MaxInFlight; i++)
        {
            loop.Enqueue(Put(i)); // each sent alone: the previous one is in flight before the next is queued
            Assert.True(await sent.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        for (int i = 0; i < 10; i++) loop.Enqueue(Put(100 + i)); // every slot busy: these wait for one
        release.TrySetResult();
        Assert.True(await sent.WaitAsync(TimeSpan.FromSeconds(30)));
        loop.Complete();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new[] { 1, 1, 1, 1, 10 }, sizes.ToArray());
        Assert.Equal(BatchingLoop.MaxInFlight, most);
    }

    [Fact]
    public async Task CompleteEndsTheLoopOnceTheQueueIsSent()
    {
        var batches = new ConcurrentQueue<RaftBatch>();
        var loop = new BatchingLoop((batch, _) =>
        {
            batches.Enqueue(batch);
            return Task.CompletedTask;
        });
        loop.Enqueue(Put(1));
        loop.Enqueue(Put(2));
        loop.Complete();
        await loop.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, batches.Sum(b => b.Requests.Count));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
