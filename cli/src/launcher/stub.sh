#!/bin/sh
# sdmodel launcher: this file is a shell stub followed by a jar. Needs Java 17+ on PATH (or JAVA_HOME).
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
  JAVA=java
else
  if [ -n "$JAVA_HOME" ]; then
    echo "sdmodel: needs Java 17 or newer: JAVA_HOME is $JAVA_HOME, which has no bin/java, and there is no java on PATH." >&2
  else
    echo "sdmodel: needs Java 17 or newer, and there is no java on PATH." >&2
  fi
  echo "Install one (Debian, Ubuntu: apt-get install openjdk-17-jre-headless), or point JAVA_HOME at one:" \
    "export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 (the folder that holds bin/java)." >&2
  exit 127
fi
# File names are UTF-8 bytes whatever the locale says. The JVM decodes command-line arguments and
# file names with the locale's character set (sun.jnu.encoding, which -D cannot change on JDK 17
# or 25), so under no locale or the C locale (Docker, cron, systemd) a name like 모델/a.ckpt cannot
# even be named. The java process (and only it: sdmodel runs no other program but stty for the
# terminal's width) gets a UTF-8 locale that exists, preferably C.UTF-8.
case "${LC_ALL:-${LC_CTYPE:-$LANG}}" in
  *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;;
  *)
    UTF8_LOCALE=$(locale -a 2>/dev/null | grep -i -x -m 1 -E 'C\.utf-?8') \
      || UTF8_LOCALE=$(locale -a 2>/dev/null | grep -i -x -m 1 -E '[a-z][a-z]_[A-Z][A-Z]\.utf-?8') \
      || UTF8_LOCALE=C.UTF-8
    LC_ALL=$UTF8_LOCALE
    export LC_ALL
    ;;
esac
# sdmodel.jsa beside this file, when the build made one, is a class-data-sharing archive of the
# classes sdmodel loads: start-up maps it instead of parsing and verifying them (make-cds-archive.sh).
# It stands in for the JDK's own archive, and a JVM that cannot use it starts with no archive at all,
# slower than without it: so it is given only to the JDK that made it, unchanged since (its
# libjvm.so not newer than the archive), running this launcher file (by any path: a link to it
# will do; sdmodel.jsa.for names both). The -Xlog options keep a JVM that still rejects it quiet.
CDS=
if [ -r "$0.jsa" ] && { read -r CDS_JDK && read -r CDS_LAUNCHER; } < "$0.jsa.for" 2>/dev/null \
    && [ -f "$CDS_JDK/lib/server/libjvm.so" ] && [ ! "$CDS_JDK/lib/server/libjvm.so" -nt "$0.jsa" ]; then
  case $JAVA in
    /*) CDS_JAVA=$JAVA ;;
    *) CDS_JAVA=$(command -v "$JAVA") ;;
  esac
  # -ef: the same file, through any symbolic links (two runs of readlink -f cost 10 ms of start-up)
  if [ "$CDS_JAVA" -ef "$CDS_JDK/bin/java" ] && [ "$0" -ef "$CDS_LAUNCHER" ]; then
    CDS="-XX:SharedArchiveFile=$0.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
fi
# C2, the optimising compiler, compiles only what is really hot (the conversion and arithmetic
# loops): at its default thresholds it also compiled the code that runs once at start-up (picocli,
# the pickle, the plan), and on a machine with few cores that took CPU from the start-up itself.
JIT="-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 -XX:Tier4CompileThreshold=150000"
JIT="$JIT -XX:Tier4BackEdgeThreshold=400000"
exec "$JAVA" $CDS $JIT $SDMODEL_JAVA_OPTS -Xss4m -jar "$0" "$@"
