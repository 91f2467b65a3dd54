#!/bin/sh
# sdmodel launcher: this file is a shell stub followed by a jar. Needs Java 17+ on PATH (or JAVA_HOME).
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
# sdmodel.jsa beside this file, when the build made one, is a class-data-sharing archive of the
# classes sdmodel loads: start-up maps it instead of parsing and verifying them. A JVM that cannot
# use it (another JDK, a rebuilt or moved launcher) falls back to loading classes normally, and
# the -Xlog options keep it from saying so on standard output.
CDS=
if [ -r "$0.jsa" ]; then CDS="-XX:SharedArchiveFile=$0.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"; fi
exec "$JAVA" $CDS $SDMODEL_JAVA_OPTS -Xss4m -jar "$0" "$@"
