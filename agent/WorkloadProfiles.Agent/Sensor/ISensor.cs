namespace WorkloadProfiles.Agent.Sensor;

/// <summary>What the event pump needs from the kernel sensor: records, the watched-cgroup map and counters.
/// <see cref="KernelSensor"/> is the real one; tests of the pump and scheduler use a scripted one.</summary>
internal interface ISensor
{
    int Poll(ISensorRecordHandler handler, int timeoutMs);

    void Watch(ulong cgroupId, ulong container, uint generation, bool nested);

    bool Unwatch(ulong cgroupId);

    SensorCounters ReadCounters();
}
