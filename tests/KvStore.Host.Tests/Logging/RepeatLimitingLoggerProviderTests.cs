using KvStore.Host.Logging;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Tests.Logging;

public sealed class RepeatLimitingLoggerProviderTests
{
    [Fact]
    public void Repeats_of_one_library_event_pass_once_per_window_and_the_next_says_how_many_were_dropped()
    {
        var sink = new Sink();
        var clock = new ManualClock();
        using var inner = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(sink));
        using var provider = new RepeatLimitingLoggerProvider(inner, "DotNext.", TimeSpan.FromSeconds(10), clock);
        ILogger raft = provider.CreateLogger("DotNext.Net.Cluster.Consensus.Raft.RaftCluster");
        ILogger ours = provider.CreateLogger("kvstore.server");

        for (int i = 0; i < 5; i++) raft.LogWarning(new EventId(74010), "Cluster member {EndPoint} is unavailable", "127.0.0.1:2380");
        raft.LogInformation(new EventId(74018), "Installing snapshot");
        for (int i = 0; i < 3; i++) ours.LogWarning(new EventId(1), "ours {N}", i);
        clock.Advance(TimeSpan.FromSeconds(11));
        raft.LogWarning(new EventId(74010), "Cluster member {EndPoint} is unavailable", "127.0.0.1:2380");

        Assert.Equal(
        [
            "Cluster member 127.0.0.1:2380 is unavailable",
            "Installing snapshot",
            "ours 0", "ours 1", "ours 2",
            "Cluster member 127.0.0.1:2380 is unavailable (4 more like this dropped in the last 10 s)",
        ], sink.Messages);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private sealed class Sink : ILoggerProvider, ILogger
    {
        public List<string> Messages { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
