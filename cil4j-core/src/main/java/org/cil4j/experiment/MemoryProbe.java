package org.cil4j.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the process's resident memory from Linux's /proc; -1 elsewhere. */
public final class MemoryProbe {
    private MemoryProbe() {}

    /** Resets the peak resident size (Linux: writing 5 to /proc/self/clear_refs); best effort. */
    public static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux, or not permitted: the peak then covers the whole process so far
        }
    }

    /** @return peak resident memory since the last reset, in MiB, or -1 */
    public static long peakRssMb() {
        return field("VmHWM:");
    }

    /** @return current resident memory in MiB, or -1 */
    public static long rssMb() {
        return field("VmRSS:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+", -1);
                    return Long.parseLong(parts[0]) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
