package org.cil4j.engine;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps glibc's allocator from holding on to the engine's freed tensors.
 *
 * <p>glibc serves an allocation of at least {@code M_MMAP_THRESHOLD} bytes (128 KiB at start)
 * with its own {@code mmap} and unmaps it on free; but each time such a block is freed it raises
 * the threshold to that block's size (up to 32 MiB). After the first few freed activations,
 * tensors of a few MiB come from the heap arenas instead, where fragmentation keeps the freed
 * pages resident: a run's resident memory then creeps by tens of MiB every phase with no live
 * tensor behind it ({@code BoundedMemoryTest} measured 549 MiB after phase 1 and 694 MiB after
 * phase 8 of a small iCaRL run). Setting the threshold explicitly turns the dynamic adjustment
 * off, so large tensors keep coming from {@code mmap} and go back to the system when freed
 * (the same run stays at 490-500 MiB).
 *
 * <p>{@link #tune()} does it in this process through {@code mallopt}, so it holds for a library
 * user's own JVM too; the {@code cil} launcher also sets {@code MALLOC_MMAP_THRESHOLD_}, which
 * covers allocations made before the engine starts. A process that preloads another allocator
 * (tcmalloc) is left as it is: its {@code mallopt} is a no-op. Set the system property {@code
 * cil4j.mallocMmapThreshold} to a byte count to choose the threshold, or to 0 to leave glibc's
 * dynamic threshold alone.
 */
public final class NativeMemory {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);
    /** glibc's {@code M_MMAP_THRESHOLD} parameter of {@code mallopt}. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's initial threshold; fixing it there is what {@code MALLOC_MMAP_THRESHOLD_=131072} does. */
    public static final int DEFAULT_THRESHOLD = 128 * 1024;

    private static volatile Boolean tuned;

    private NativeMemory() {}

    /**
     * Fixes glibc's mmap threshold once per process (later calls do nothing).
     *
     * @return whether the threshold is now fixed by this call or an earlier one
     */
    public static synchronized boolean tune() {
        if (tuned != null) {
            return tuned;
        }
        tuned = apply(threshold());
        return tuned;
    }

    static int threshold() {
        String v = System.getProperty("cil4j.mallocMmapThreshold");
        if (v == null || v.isBlank()) {
            return DEFAULT_THRESHOLD;
        }
        try {
            int t = Integer.parseInt(v.trim());
            if (t < 0) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw new org.cil4j.CilException(
                    "-Dcil4j.mallocMmapThreshold must be a byte count (0 leaves glibc's allocator alone), not '" + v + "'");
        }
    }

    private static boolean apply(int threshold) {
        if (threshold == 0 || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return false;
        }
        String preload = System.getenv("LD_PRELOAD");
        if (preload != null && !preload.isBlank()) {
            LOG.debug("LD_PRELOAD={}: leaving the allocator's settings alone", preload);
            return false;
        }
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            int ok = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, threshold});
            LOG.debug("mallopt(M_MMAP_THRESHOLD, {}) -> {}", threshold, ok);
            return ok == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            // not glibc (musl has no such knob), or no JNA native support: nothing to tune
            LOG.debug("could not set glibc's mmap threshold: {}", e.toString());
            return false;
        }
    }
}
