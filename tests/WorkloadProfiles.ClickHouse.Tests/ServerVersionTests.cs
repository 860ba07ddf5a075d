namespace WorkloadProfiles.ClickHouse.Tests;

public sealed class ServerVersionTests
{
    [Theory]
    [InlineData("18.16.1", 18, 16, 1, 0)]
    [InlineData("24.8.4.13", 24, 8, 4, 13)]
    [InlineData("22.8", 22, 8, 0, 0)]
    public void Parses_what_select_version_prints(string text, int major, int minor, int patch, int build)
    {
        Assert.Equal(new ServerVersion(major, minor, patch, build), ServerVersion.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("18")]
    [InlineData("18.x")]
    [InlineData("v18.16")]
    [InlineData("1.2.3.4.5")]
    public void Rejects_what_is_not_a_version(string text)
    {
        Assert.False(ServerVersion.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ServerVersion.Parse(text));
    }

    [Fact]
    public void Compares_numerically_not_textually()
    {
        Assert.True(ServerVersion.Parse("18.16.1") < ServerVersion.Parse("22.8"));
        Assert.True(ServerVersion.Parse("22.10") > ServerVersion.Parse("22.8.20"));
        Assert.True(ServerVersion.Parse("22.8.0.1") > ServerVersion.Parse("22.8"));
        Assert.True(ServerVersion.Parse("22.8") >= ServerVersion.Parse("22.8.0"));
    }
}
