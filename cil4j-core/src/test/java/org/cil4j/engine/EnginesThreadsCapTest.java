package org.cil4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.CilException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code cil4j.threads.max} caps what a run asks for, and a bad value is refused naming it. */
class EnginesThreadsCapTest {
    private String before;

    @BeforeEach
    void remember() {
        before = System.getProperty(Engines.MAX_THREADS);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(Engines.MAX_THREADS);
        } else {
            System.setProperty(Engines.MAX_THREADS, before);
        }
        Engines.start("cpu", 1);
    }

    @Test
    void theCapLowersWhatARunAsksForAndNeverRaisesIt() {
        System.setProperty(Engines.MAX_THREADS, "1");
        Engines.start("cpu", 2);
        assertEquals(1, Engines.threads(), "two asked, one allowed");
        assertEquals(1, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "the engine runs with the cap");
        Engines.start("cpu", 0);
        assertEquals(1, Engines.threads(), "the engine's default is capped too");

        System.setProperty(Engines.MAX_THREADS, "2");
        Engines.start("cpu", 1);
        assertEquals(1, Engines.threads(), "a cap above the ask changes nothing");

        System.setProperty(Engines.MAX_THREADS, "0");
        assertEquals(0, Engines.maxThreads(), "0: no cap");
        Engines.start("cpu", 2);
        assertEquals(2, Engines.threads());
    }

    @Test
    void aValueThatIsNotACountIsRefusedNamingTheProperty() {
        for (String bad : new String[] {"two", "-1", "1.5"}) {
            System.setProperty(Engines.MAX_THREADS, bad);
            CilException e = assertThrows(CilException.class, Engines::maxThreads, bad);
            assertTrue(
                    e.getMessage().contains("-Dcil4j.threads.max")
                            && e.getMessage().contains(bad),
                    e.getMessage());
        }
    }
}
