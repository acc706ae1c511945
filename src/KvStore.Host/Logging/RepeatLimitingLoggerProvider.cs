using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Logging;

/// <summary>
/// Passes each log event of the libraries named by <paramref name="categoryPrefix"/> on to <paramref name="inner"/>
/// at most once per <paramref name="window"/> for the same category and event id; the next one passed on says how
/// many were dropped. DotNext's Raft warns "Cluster member ... is unavailable" on every retry while a peer is down
/// (about 150 lines a second measured here); etcd logs such a condition once and then periodically.
/// </summary>
internal sealed class RepeatLimitingLoggerProvider(ILoggerFactory inner, string categoryPrefix, TimeSpan window, TimeProvider? time = null)
    : ILoggerProvider
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith(categoryPrefix, StringComparison.Ordinal) ? new Limited(logger, window, _time) : logger;
    }

    // The factory it writes through is owned by OwningLoggerFactory, which disposes it after this one.
    public void Dispose()
    {
    }

    private sealed class Limited(ILogger inner, TimeSpan window, TimeProvider time) : ILogger
    {
        private readonly ConcurrentDictionary<int, Slot> _slots = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            Slot slot = _slots.GetOrAdd(eventId.Id, _ => new Slot());
            long now = time.GetTimestamp();
            long dropped;
            lock (slot)
            {
                if (slot.LastPassed != 0 && time.GetElapsedTime(slot.LastPassed, now) < window)
                {
                    slot.Dropped++;
                    return;
                }
                slot.LastPassed = now;
                dropped = slot.Dropped;
                slot.Dropped = 0;
            }
            if (dropped == 0)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
            else
            {
                inner.Log(logLevel, eventId, state, exception,
                    (s, e) => $"{formatter(s, e)} ({dropped} more like this dropped in the last {window.TotalSeconds:0} s)");
            }
        }

        private sealed class Slot
        {
            public long LastPassed;
            public long Dropped;
        }
    }
}

/// <summary>A logger factory that owns the factory its providers write through: disposing it flushes and closes both.</summary>
internal sealed class OwningLoggerFactory(ILoggerFactory outer, ILoggerFactory owned) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => outer.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => outer.AddProvider(provider);

    public void Dispose()
    {
        outer.Dispose();
        owned.Dispose();
    }
}
