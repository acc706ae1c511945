using KvStore.Server.DataDir;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>
/// When DiskRoom asks the filesystems: once per interval or per megabyte admitted, and always before it refuses or
/// while it refuses, so a full disk is seen before the reserve is used up and free space is seen at once.
/// </summary>
public sealed class DiskRoomTests
{
    private const long Mb = 1 << 20;

    private long _free = 100 * Mb;
    private int _asked;
    private readonly ManualClock _clock = new();

    private DiskRoom NewRoom() => new("member", "wal", NullLogger.Instance, _clock, _ =>
    {
        _asked++;
        return _free;
    });

    [Fact]
    public void TheAnswerIsReusedWithinTheIntervalAndAskedAgainAfterIt()
    {
        DiskRoom room = NewRoom();
        Assert.True(room.HasRoom());
        Assert.Equal(2, _asked); // both directories
        for (int i = 0; i < 100; i++) Assert.True(room.HasRoom(300));
        Assert.Equal(2, _asked);

        _clock.Advance(DiskRoom.RecheckInterval);
        Assert.True(room.HasRoom(300));
        Assert.Equal(4, _asked);
    }

    [Fact]
    public void AMegabyteAdmittedAsksAgain()
    {
        DiskRoom room = NewRoom();
        Assert.True(room.HasRoom(DiskRoom.RecheckBytes / 2));
        Assert.True(room.HasRoom(DiskRoom.RecheckBytes / 4));
        Assert.Equal(2, _asked);
        Assert.True(room.HasRoom(DiskRoom.RecheckBytes / 4)); // the admitted bytes reach a megabyte
        Assert.Equal(4, _asked);
    }

    [Fact]
    public void AWriteThatWouldCrossTheReserveOnTheLastAnswerAsksFirst()
    {
        _free = DiskRoom.ReserveBytes + 3 * Mb / 4;
        DiskRoom room = NewRoom();
        Assert.True(room.HasRoom(Mb / 2));
        Assert.Equal(2, _asked);

        _free = 100 * Mb; // space was freed meanwhile
        Assert.True(room.HasRoom(Mb / 2)); // the last answer less what was admitted would refuse it: asked, and admitted
        Assert.Equal(4, _asked);
    }

    [Fact]
    public void WhileRefusingEveryCallAsksSoRoomReturnsAtOnce()
    {
        var changes = new List<bool>();
        DiskRoom room = NewRoom();
        room.RoomChanged = changes.Add;
        Assert.True(room.HasRoom());

        _free = DiskRoom.ReserveBytes - 1;
        _clock.Advance(DiskRoom.RecheckInterval);
        Assert.False(room.HasRoom(300));
        Assert.Equal(4, _asked);
        Assert.False(room.HasRoom()); // a follower's AppendEntries, within the interval: asked again
        Assert.Equal(6, _asked);

        _free = 100 * Mb;
        Assert.True(room.HasRoom());
        Assert.Equal(8, _asked);
        Assert.True(room.HasRoom());
        Assert.Equal(8, _asked);
        Assert.Equal([false, true], changes);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
