#!/bin/sh
# sdmodel launcher: this file is a shell stub followed by a jar. Needs Java 17+ on PATH (or JAVA_HOME).
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
exec "$JAVA" $SDMODEL_JAVA_OPTS -Xss4m -jar "$0" "$@"
