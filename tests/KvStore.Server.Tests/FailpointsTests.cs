using System.Diagnostics;
using KvStore.Wal;

namespace KvStore.Server.Tests;

public class FailpointsTests
{
    [Fact]
    public void OnlyTheVariableSetToOneTurnsThemOn()
    {
        Assert.NotNull(Failpoints.FromEnvironment(new Dictionary<string, string> { [Failpoints.EnvironmentVariable] = "1" }));
        Assert.Null(Failpoints.FromEnvironment(new Dictionary<string, string> { [Failpoints.EnvironmentVariable] = "true" }));
        Assert.Null(Failpoints.FromEnvironment(new Dictionary<string, string>()));
    }

    [Fact]
    public void ArmedPointsAreListedAsGofailDoesAndDisarmed()
    {
        var points = new Failpoints();
        Assert.Null(points.Arm("raftBeforeSave", " sleep(250)\n"));
        Assert.Equal("raftBeforeSave=sleep(250)\n", points.List());
        Assert.True(points.Disarm("raftBeforeSave"));
        Assert.False(points.Disarm("raftBeforeSave"));
        Assert.Equal("", points.List());
        Assert.Null(points.Arm("raftBeforeSave", "sleep(1)"));
        Assert.Null(points.Arm("raftBeforeSave", "off"));
        Assert.Equal("", points.List());
        Assert.Null(points.Arm("raftAfterSave", "panic"));
        Assert.Null(points.Arm("raftBeforeSave", "sleep(3)"));
        Assert.Equal("raftAfterSave=panic\nraftBeforeSave=sleep(3)\n", points.List());
    }

    [Theory]
    [InlineData("raftBeforeApply", "sleep(1)", "unknown failpoint raftBeforeApply; known: raftBeforeSave, raftAfterSave")]
    [InlineData("raftBeforeSave", "return", "unsupported term 'return': sleep(MILLISECONDS), panic or off")]
    [InlineData("raftBeforeSave", "sleep(\"1s\")", "unsupported term 'sleep(\"1s\")': sleep(MILLISECONDS), panic or off")]
    [InlineData("raftBeforeSave", "sleep(-5)", "unsupported term 'sleep(-5)': sleep(MILLISECONDS), panic or off")]
    public void UnknownPointsAndTermsAreRefusedWithTheReason(string name, string term, string reason)
    {
        var points = new Failpoints();
        Assert.Equal(reason, points.Arm(name, term));
        Assert.Equal("", points.List());
    }

    [Theory]
    [InlineData("raftBeforeSave", WalStep.BeforeWrite, WalStep.AfterWrite, WalStep.AfterSync)]
    [InlineData("raftAfterSave", WalStep.AfterSync, WalStep.BeforeWrite, WalStep.AfterWrite)]
    public void EachPointHoldsTheLogWriterAtItsOwnStepOnly(string name, WalStep step, WalStep other, WalStep another)
    {
        var points = new Failpoints();
        points.Arm(name, "sleep(1000)");
        IWalFaults faults = points;
        var watch = Stopwatch.StartNew();
        faults.At(other);
        faults.At(another);
        Assert.True(watch.ElapsedMilliseconds < 500, $"{watch.ElapsedMilliseconds} ms at the other steps");
        watch.Restart();
        faults.At(step);
        Assert.True(watch.ElapsedMilliseconds >= 990, $"{watch.ElapsedMilliseconds} ms at {step}");
    }
}
