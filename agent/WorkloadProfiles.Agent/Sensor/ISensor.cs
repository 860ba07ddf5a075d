namespace WorkloadProfiles.Agent.Sensor;

/// <summary>What the event pump needs from the kernel sensor: records, the profiled-cgroup filter and counters.
/// <see cref="KernelSensor"/> is the real one; tests of the pump and scheduler use a scripted one.</summary>
internal interface ISensor
{
    int Poll(ISensorRecordHandler handler, int timeoutMs);

    void Profile(ulong cgroupId, uint generation);

    bool Unprofile(ulong cgroupId);

    SensorCounters ReadCounters();
}
