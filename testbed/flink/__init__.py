"""A real Flink session cluster on 127.0.0.1 from the apache-flink-libraries jars."""
