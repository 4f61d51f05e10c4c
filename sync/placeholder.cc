namespace accord::sync {}
