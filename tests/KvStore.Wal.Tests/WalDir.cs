using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Wal.Tests;

/// <summary>A temporary log directory with small segments, and a logger that counts warnings.</summary>
internal sealed class WalDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("wal-").FullName;

    public CountingLogger Logger { get; } = new();

    public WalOptions Options(long segmentBytes = 64 << 10) => new(Path, Logger) { SegmentBytes = segmentBytes, CacheEntries = 4 };

    public Wal Open(long segmentBytes = 64 << 10) => Wal.Open(Options(segmentBytes));

    public string[] Segments() => Directory.GetFiles(Path, "*.wal").Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Directory.Delete(Path, true);

    public static byte[] Payload(long index) => System.Text.Encoding.UTF8.GetBytes($"entry-{index}-" + new string('x', (int)(index % 13)));

    /// <summary>Counts warnings.</summary>
    internal sealed class CountingLogger : ILogger
    {
        public int Warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => NullLogger.Instance.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Interlocked.Increment(ref Warnings);
        }
    }
}
