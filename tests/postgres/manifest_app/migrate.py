print('migrating')
