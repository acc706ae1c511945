using System.Diagnostics;
using System.Runtime.InteropServices;
using KvStore.Wal;
using Microsoft.Extensions.Logging.Abstractions;

// walbench <dir> [seconds]: appends per second and fdatasyncs per append of KvStore.Wal with 1 and 64 concurrent
// appenders (128-byte entries), beside the floor: a plain loop of one pwrite + one fdatasync.
string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "walbench");
double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
Directory.CreateDirectory(root);

Floor(Path.Combine(root, "floor"), seconds, preallocate: false);
Floor(Path.Combine(root, "floor"), seconds, preallocate: true);
await Appenders(Path.Combine(root, "wal1"), 1, seconds);
await Appenders(Path.Combine(root, "wal64"), 64, seconds);

static void Floor(string path, double seconds, bool preallocate)
{
    using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
    {
        if (preallocate && Native.FAllocate(handle, 0, 0, 64L << 20) != 0) throw new IOException("fallocate");
        byte[] record = new byte[168];
        long n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            RandomAccess.Write(handle, record, n * record.Length);
            if (Native.FDataSync(handle) != 0) throw new IOException("fdatasync");
            n++;
        }
        Console.WriteLine($"floor (pwrite+fdatasync loop, {(preallocate ? "preallocated" : "growing")} file): {n / clock.Elapsed.TotalSeconds:F0} writes/s");
    }
    File.Delete(path);
}

static async Task Appenders(string dir, int appenders, double seconds)
{
    if (Directory.Exists(dir)) Directory.Delete(dir, true);
    using (var wal = Wal.Open(new WalOptions(dir, NullLogger.Instance)))
    {
        byte[] payload = new byte[128];
        long appended = 0;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                await wal.WaitDurableAsync(wal.Append(1, payload, false, null));
                Interlocked.Increment(ref appended);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        double elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"wal, {appenders} appenders: {appended / elapsed:F0} appends/s, " +
            $"{(double)wal.Syncs / appended:F3} fdatasyncs per append");
    }
    Directory.Delete(dir, true);
}

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(Microsoft.Win32.SafeHandles.SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int FAllocate(Microsoft.Win32.SafeHandles.SafeFileHandle fd, int mode, long offset, long length);
}
