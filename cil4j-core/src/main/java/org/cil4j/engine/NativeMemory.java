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
 * tensors of a few MiB come from the heap arenas instead, where fragmentation keeps freed pages
 * resident: a run's resident memory crept by tens of MiB every phase with no live tensor behind
 * it ({@code BoundedMemoryTest} measured 549 MiB after phase 1 and 694 MiB after phase 8 of a
 * small iCaRL run).
 *
 * <p>Two ways out were measured. Fixing the threshold ({@code mallopt(M_MMAP_THRESHOLD)}) keeps
 * resident memory flat but makes every large tensor a fresh {@code mmap} whose pages the kernel
 * zeroes: training ran 3-5 times slower (a small-CNN phase took 34-37 s instead of 5-12 s). So
 * {@link #release()} instead hands the arenas' free pages back with {@code malloc_trim(0)} once
 * a phase is over (the experiment calls it after each phase's evaluation), which costs
 * milliseconds and leaves the step's speed alone. A process that preloads another allocator
 * (tcmalloc, which {@code ./cil} uses where the machine has it) is left as it is.
 *
 * <p>The system property {@code cil4j.mallocMmapThreshold} (bytes) fixes the threshold as well,
 * for who prefers flat memory to speed; it is unset by default.
 */
public final class NativeMemory {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);
    /** glibc's {@code M_MMAP_THRESHOLD} parameter of {@code mallopt}. */
    private static final int M_MMAP_THRESHOLD = -3;

    private static volatile Function trim;
    private static volatile boolean started;

    private NativeMemory() {}

    /**
     * Prepares the calls once per process (later calls do nothing): finds glibc's {@code
     * malloc_trim}, and applies {@code cil4j.mallocMmapThreshold} when it is set.
     */
    public static synchronized void tune() {
        if (started) {
            return;
        }
        started = true;
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return;
        }
        String preload = System.getenv("LD_PRELOAD");
        if (preload != null && !preload.isBlank()) {
            LOG.debug("LD_PRELOAD={}: leaving the allocator alone", preload);
            return;
        }
        try {
            NativeLibrary c = NativeLibrary.getInstance("c");
            trim = c.getFunction("malloc_trim");
            int threshold = threshold();
            if (threshold > 0) {
                int ok = c.getFunction("mallopt").invokeInt(new Object[] {M_MMAP_THRESHOLD, threshold});
                LOG.info("mallopt(M_MMAP_THRESHOLD, {}) -> {}: flat native memory, slower training", threshold, ok);
            }
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            // not glibc (musl has neither call), or no JNA native support: nothing to do
            LOG.debug("glibc's malloc_trim is not available: {}", e.toString());
        }
    }

    /**
     * Returns the allocator's free pages to the system ({@code malloc_trim(0)}); a no-op where
     * glibc is not the allocator.
     */
    public static void release() {
        tune();
        Function t = trim;
        if (t != null) {
            t.invokeInt(new Object[] {0});
        }
    }

    static int threshold() {
        String v = System.getProperty("cil4j.mallocMmapThreshold");
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int t = Integer.parseInt(v.trim());
            if (t < 0) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw new org.cil4j.CilException("-Dcil4j.mallocMmapThreshold must be a byte count, not '" + v + "'");
        }
    }
}
