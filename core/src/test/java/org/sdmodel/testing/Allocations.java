package org.sdmodel.testing;

import java.lang.management.ManagementFactory;

/** How many bytes the current thread has allocated: how tests check that a claimed size was never allocated. */
public final class Allocations {
    private Allocations() {
    }

    /** Bytes allocated so far by the current thread (HotSpot's ThreadMXBean), or 0 where the JVM cannot tell. */
    public static long byThisThread() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean) {
            return ((com.sun.management.ThreadMXBean) bean).getCurrentThreadAllocatedBytes();
        }
        return 0;
    }
}
